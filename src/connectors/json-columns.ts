// The JSON columns of the connectors' tables, read back: what we wrote, checked rather than cast,
// so that a row edited by hand fails loudly instead of spreading a wrong type.

export function stringRecordFromJson(column: string, text: string): Record<string, string> {
  const value: unknown = JSON.parse(text);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${column} is not a JSON object`);
  const record: Record<string, string> = {};
  for (const [key, item] of Object.entries(value)) {
    if (typeof item !== 'string') throw new Error(`${column}.${key} is not a string`);
    record[key] = item;
  }
  return record;
}

export function stringListFromJson(column: string, text: string): string[] {
  const value: unknown = JSON.parse(text);
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) throw new Error(`${column} is not a JSON array of strings`);
  return value;
}
