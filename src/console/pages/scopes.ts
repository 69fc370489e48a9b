import { html, type SafeHtml } from '../../http/html.ts';
import type { NamedCustomScope } from '../../orgs/custom-scopes.ts';
import { field, formState, problemSummary, type FormProblems } from '../forms.ts';

export const SCOPE_FIELD_LABELS: Readonly<Record<string, string>> = { name: 'Name', description: 'Description', attributes: 'Attributes' };

/** A custom scope's form as typed: attributes as the text of their field. */
export interface ScopeFormValues {
  readonly name: string;
  readonly description: string;
  readonly attributes: string;
}

export interface ScopeFormModel {
  readonly action: string;
  readonly csrfToken: string;
  /** An edit's version (the organization's, which holds the scopes); a new scope has none. */
  readonly version?: number;
  readonly values: ScopeFormValues;
  readonly problems: FormProblems | null;
  /** A new scope names itself; an existing one keeps its name. */
  readonly isNew: boolean;
}

export function scopeValuesOf(scope: NamedCustomScope): ScopeFormValues {
  return { name: scope.name, description: scope.description, attributes: scope.attributes.join('\n') };
}

export interface ScopesModel {
  readonly consoleUrl: string;
  /** The OpenID Connect scopes, which no organization can redefine. */
  readonly standard: readonly string[];
  readonly custom: readonly NamedCustomScope[];
  /** The add form, for a role that may change the organization (org:write). */
  readonly add: ScopeFormModel | null;
}

function scopeHref(consoleUrl: string, name: string): string {
  return `${consoleUrl}/scopes/${encodeURIComponent(name)}`;
}

/** The scopes applications may ask for: the standard ones, the organization's own, and a form to add one. */
export function renderScopes(model: ScopesModel): SafeHtml {
  return html`<p>A client asks for scopes; the consent page names each to the person signing in, and userinfo releases the claims they cover. A custom scope releases constituent attributes of your choosing (a membership tier, a volunteer role).</p>
<section class="panel" aria-labelledby="custom-heading">
<h2 id="custom-heading">Custom scopes</h2>
${
  model.custom.length === 0
    ? html`<p>No custom scope yet.</p>`
    : html`<div class="table-wrap"><table>
<caption class="visually-hidden">Custom scopes</caption>
<thead><tr><th scope="col">Scope</th><th scope="col">Shown on the consent page as</th><th scope="col">Attributes released</th></tr></thead>
<tbody>${model.custom.map(
        (scope) => html`<tr><td><a href="${scopeHref(model.consoleUrl, scope.name)}"><code>${scope.name}</code></a></td><td>${scope.description}</td><td>${scope.attributes.length === 0 ? 'none' : scope.attributes.map((a, i) => html`${i > 0 ? ', ' : ''}<code>${a}</code>`)}</td></tr>`,
      )}</tbody>
</table></div>`
}
</section>
${model.add === null ? null : html`<section class="panel" aria-labelledby="add-heading">
<h2 id="add-heading">Add a custom scope</h2>
${renderScopeForm(model.add, 'Add scope')}
</section>`}
<section class="panel" aria-labelledby="standard-heading">
<h2 id="standard-heading">Standard scopes</h2>
<p>Defined by OpenID Connect, offered by every organization, and never redefined: ${model.standard.map((name, i) => html`${i > 0 ? ', ' : ''}<code>${name}</code>`)}.</p>
</section>`;
}

/** A custom scope's fields: each error beside its field, the values kept. */
export function renderScopeForm(model: ScopeFormModel, submitLabel: string): SafeHtml {
  const v = model.values;
  const errors = model.problems?.fields ?? {};
  const first = Object.keys(errors)[0];
  return html`${problemSummary(model.problems, SCOPE_FIELD_LABELS)}
<form method="post" action="${model.action}" novalidate>
${formState(model.csrfToken, model.version)}
${model.isNew ? field({ name: 'name', label: 'Name', value: v.name, required: true, error: errors.name, autofocus: first === 'name', hint: 'What clients put in their scope parameter, such as patreon or volunteer. No spaces or quotes; not one of the standard scopes.', attributes: 'maxlength="64" autocapitalize="none" spellcheck="false"' }) : null}
${field({ name: 'description', label: 'Description', value: v.description, required: true, error: errors.description, autofocus: first === 'description', hint: 'Shown to people on the consent page, in plain words (up to 200 characters).', attributes: 'maxlength="200"' })}
${field({ name: 'attributes', label: 'Attributes, one per line', type: 'textarea', value: v.attributes, error: errors.attributes, autofocus: first === 'attributes', hint: 'Constituent attributes released as claims when the scope is granted: lowercase letters, digits and _. Optional.' })}
<div class="actions"><button type="submit">${submitLabel}</button></div>
</form>`;
}

export interface ScopeViewModel {
  readonly consoleUrl: string;
  readonly scope: NamedCustomScope;
  /** The edit form and the link to remove, for a role that may change the organization. */
  readonly edit: ScopeFormModel | null;
}

/** One custom scope: its settings (a form for those who may change them) and its removal. */
export function renderScopeView(model: ScopeViewModel): SafeHtml {
  const { scope } = model;
  return html`<p><a href="${model.consoleUrl}/scopes">All scopes</a></p>
<section class="panel" aria-labelledby="scope-heading">
<h2 id="scope-heading">Settings</h2>
${
  model.edit === null
    ? html`<dl class="facts"><dt>Description</dt><dd>${scope.description}</dd><dt>Attributes released</dt><dd>${scope.attributes.length === 0 ? 'none' : html`<ul>${scope.attributes.map((a) => html`<li><code>${a}</code></li>`)}</ul>`}</dd></dl>`
    : renderScopeForm(model.edit, 'Save changes')
}
</section>
${model.edit === null ? null : html`<section class="panel" aria-labelledby="remove-heading">
<h2 id="remove-heading">Remove</h2>
<p>Its attributes stop being released at once, to tokens already issued too, and discovery stops offering it.</p>
<div class="actions"><a class="button secondary" href="${scopeHref(model.consoleUrl, scope.name)}/remove">Remove…</a></div>
</section>`}`;
}

/** The confirmation of a removal: one button, Cancel back to the scope. */
export function renderScopeRemoval(model: { readonly consoleUrl: string; readonly scope: NamedCustomScope; readonly csrfToken: string }): SafeHtml {
  const href = scopeHref(model.consoleUrl, model.scope.name);
  return html`<section class="panel" aria-labelledby="confirm-heading">
<h2 id="confirm-heading">Remove <code>${model.scope.name}</code>?</h2>
<p>Its attributes (${model.scope.attributes.length === 0 ? 'none' : model.scope.attributes.join(', ')}) stop being released at once, to tokens already issued too, and discovery stops offering it.</p>
<form method="post" action="${href}/remove">
${formState(model.csrfToken)}
<div class="actions"><button type="submit" class="danger">Remove the scope</button><a class="button secondary" href="${href}">Cancel</a></div>
</form>
</section>`;
}
