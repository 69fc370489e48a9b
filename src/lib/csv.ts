/**
 * CSV (RFC 4180) for exports opened in spreadsheets. A cell starting with = + - @, a tab or a
 * carriage return is read by Excel, LibreOffice and Sheets as a formula (CSV injection: a
 * constituent's name `=HYPERLINK(...)` would run in the reader's spreadsheet), so it gets a
 * leading `'`, which the spreadsheet shows as text (OWASP's advice). A cell with a comma, quote
 * or line break is quoted, its quotes doubled.
 */
export function csvCell(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One record: its cells joined by commas, ended by CRLF (RFC 4180 §2). */
export function csvRow(cells: ReadonlyArray<string | number | boolean | null | undefined>): string {
  return `${cells.map(csvCell).join(',')}\r\n`;
}
