import { hiddenInputs, html, SafeHtml } from '../http/html.ts';
import { ConflictError, InvalidInputError, InvalidInputsError, StaleVersionError } from '../lib/errors.ts';

/**
 * What went wrong with a form a use case refused, to show with the form again: each field's
 * problem beside it, the others in the summary, or the record changed since the form was opened.
 */
export interface FormProblems {
  /** 400 for bad input, 409 for a stale version or another conflict. */
  readonly status: 400 | 409;
  /** By the use case's field name (snake_case, as the form's input names): the rule broken, never the value. */
  readonly fields: Readonly<Record<string, string>>;
  /** Problems that belong to no field of the form. */
  readonly general: readonly string[];
  /** The record changed since the form was rendered: the form shows the current values. */
  readonly stale: boolean;
}

export type FormOutcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problems: FormProblems };

export const STALE_MESSAGE = 'This record was changed by someone else since you opened it. The form now shows the current values: make your change again and save.';

/**
 * Runs a use case for a form, mapping the errors a person can fix (the one place the console
 * does): invalid input to its fields, a stale version or a conflict to a message. Any other
 * error (not found, forbidden, a bug) goes on to the page's error mapping.
 */
export async function attemptForm<T>(fields: readonly string[], run: () => Promise<T>): Promise<FormOutcome<T>> {
  try {
    return { ok: true, value: await run() };
  } catch (error) {
    if (error instanceof StaleVersionError) return { ok: false, problems: { status: 409, fields: {}, general: [], stale: true } };
    if (error instanceof InvalidInputError) return { ok: false, problems: { status: 400, ...byField(error, fields), stale: false } };
    if (error instanceof ConflictError) {
      // A conflict's message names the state, not what was typed (clients/client-admin.ts).
      return { ok: false, problems: { status: 409, fields: {}, general: [error.message], stale: false } };
    }
    throw error;
  }
}

/** A stale form without the version it was rendered with, as the use case would say. */
export const MISSING_VERSION: FormProblems = { status: 409, fields: {}, general: [], stale: true };

function byField(error: InvalidInputError, known: readonly string[]): { fields: Record<string, string>; general: string[] } {
  const fields: Record<string, string> = {};
  const general: string[] = [];
  for (const e of error instanceof InvalidInputsError ? error.errors : [error]) {
    // The rule, not the message: the message may quote the value, which the field shows already.
    if (known.includes(e.field)) fields[e.field] ??= e.rule;
    else general.push(`${e.field.replace(/_/g, ' ')}: ${e.rule}`);
  }
  return { fields, general };
}

/** The form's hidden inputs: its CSRF token and, for an edit, the version it shows. */
export function formState(csrfToken: string, version?: number): SafeHtml {
  return hiddenInputs(version === undefined ? { csrf_token: csrfToken } : { csrf_token: csrfToken, version: String(version) });
}

/**
 * The summary at the top of a refused form (WCAG 3.3.1): a link to each field with a problem,
 * the problems of no field, or the stale-version message.
 */
export function problemSummary(problems: FormProblems | null, labels: Readonly<Record<string, string>>): SafeHtml | null {
  if (problems === null) return null;
  if (problems.stale) return html`<div role="alert" class="alert"><p>${STALE_MESSAGE}</p></div>`;
  const fields = Object.keys(problems.fields);
  return html`<div role="alert" class="alert"><p>Nothing was saved. Correct ${fields.length + problems.general.length === 1 ? 'this' : 'these'}:</p>
<ul>${fields.map((field) => html`<li><a href="#${field}">${labels[field] ?? field}</a>: ${problems.fields[field]}</li>`)}${problems.general.map((text) => html`<li>${text}</li>`)}</ul></div>`;
}

export interface FieldOptions {
  readonly name: string;
  readonly label: string;
  readonly value: string;
  readonly hint?: string;
  readonly error?: string | undefined;
  readonly type?: 'text' | 'number' | 'textarea';
  readonly required?: boolean;
  /** Extra attributes written by us (`min="1"`), never request data. */
  readonly attributes?: string;
  readonly autofocus?: boolean;
}

/** A labelled field with its hint and its error (described by both, marked invalid), value kept. */
export function field(options: FieldOptions): SafeHtml {
  const { name } = options;
  const describedBy = [options.hint ? `${name}-hint` : null, options.error ? `${name}-error` : null].filter((id) => id !== null).join(' ');
  const marks = html`${describedBy ? html` aria-describedby="${describedBy}"` : null}${options.error ? html` aria-invalid="true"` : null}${options.required ? html` required` : null}${options.autofocus ? html` autofocus` : null}`;
  const extra = options.attributes ? html` ${new SafeHtml(options.attributes)}` : null;
  const control =
    options.type === 'textarea'
      ? html`<textarea id="${name}" name="${name}" rows="3" autocapitalize="none" spellcheck="false"${marks}${extra}>${options.value}</textarea>`
      : html`<input type="${options.type ?? 'text'}" id="${name}" name="${name}" value="${options.value}"${marks}${extra}>`;
  return html`<label for="${name}">${options.label}</label>
${options.hint ? html`<p class="hint" id="${name}-hint">${options.hint}</p>` : null}
${options.error ? html`<p class="field-error" id="${name}-error">${options.error}</p>` : null}
${control}`;
}

/** A checkbox with its label (checked when `checked`). */
export function checkbox(options: { readonly name: string; readonly label: string; readonly checked: boolean; readonly hint?: string }): SafeHtml {
  return html`<label class="choice"><input type="checkbox" id="${options.name}" name="${options.name}" value="yes"${options.checked ? html` checked` : null}${options.hint ? html` aria-describedby="${options.name}-hint"` : null}> ${options.label}</label>
${options.hint ? html`<p class="hint" id="${options.name}-hint">${options.hint}</p>` : null}`;
}

/** A value to copy: the value (selectable at one click), a Copy button the script shows, and a status region. */
export function copyable(id: string, label: string, value: string): SafeHtml {
  return html`<div class="copyable"><code class="value" id="${id}">${value}</code><button type="button" class="secondary" data-copy="${id}" hidden>Copy<span class="visually-hidden"> ${label}</span></button><span class="copy-status" id="${id}-status" role="status" aria-live="polite"></span></div>`;
}

/** The lines of a textarea: trimmed, empty ones dropped. */
export function lines(raw: string | undefined): string[] {
  return (raw ?? '').split(/\r?\n/).map((line) => line.trim()).filter((line) => line !== '');
}
