/**
 * The errors domain functions throw. Each edge (HTTP API, CLI, protocol endpoints) maps them to
 * its own shape in one place; domain code never knows about status codes or exit codes.
 */
export abstract class DomainError extends Error {
  abstract readonly code: 'not_found' | 'conflict' | 'invalid_input' | 'forbidden';
}

/** A record does not exist, or belongs to another organization (the two are indistinguishable). */
export class NotFoundError extends DomainError {
  readonly code = 'not_found';
  readonly what: string;
  constructor(what: string, key: string) {
    super(`${what} '${key}' does not exist`);
    this.what = what;
  }
}

/** The actor may not do this: its role lacks the permission the operation requires. */
export class ForbiddenError extends DomainError {
  readonly code = 'forbidden';
  readonly permission: string;
  constructor(permission: string) {
    super(`the ${permission} permission is required`);
    this.permission = permission;
  }
}

/** A uniqueness rule would be broken: a slug, a login name or an email already taken. */
export class ConflictError extends DomainError {
  readonly code = 'conflict';
  readonly field: string;
  constructor(field: string, message: string) {
    super(message);
    this.field = field;
  }
}

/** Input that breaks a rule. `field` names the input in snake_case, as on the wire. */
export class InvalidInputError extends DomainError {
  readonly code = 'invalid_input';
  readonly field: string;
  /**
   * The rule broken, without the value judged: the message itself when it quotes nothing, else
   * a text of its own (options.rule). For the edges that must not echo input: a hosted page's
   * error beside its field (a person's text is not ours to say back), a log line.
   */
  readonly rule: string;
  constructor(field: string, message: string, options: { readonly rule?: string } = {}) {
    super(`${field}: ${message}`);
    this.field = field;
    this.rule = options.rule ?? message;
  }
}

/** The caller's copy is out of date: another change landed since it was read (optimistic concurrency). */
export class StaleVersionError extends ConflictError {
  constructor(message: string) {
    super('version', message);
  }
}

/** Several inputs broke rules at once: each is named, so the caller can fix them all in one go. */
export class InvalidInputsError extends InvalidInputError {
  readonly errors: readonly InvalidInputError[];
  constructor(errors: readonly InvalidInputError[]) {
    const first = errors[0]!;
    super(first.field, first.message.slice(first.field.length + 2), { rule: first.rule });
    this.message = errors.map((e) => e.message).join('; ');
    this.errors = errors;
  }
}

/** Throws nothing for no errors, the error itself for one, all of them together for more. */
export function throwIfInvalid(errors: readonly InvalidInputError[]): void {
  if (errors.length === 1) throw errors[0]!;
  if (errors.length > 1) throw new InvalidInputsError(errors);
}

/**
 * Runs one check, adding the InvalidInputError(s) it throws to `errors` (undefined is then its
 * result), so a caller can judge every field before answering. Other errors are thrown on.
 */
export function collectInvalid<T>(errors: InvalidInputError[], check: () => T): T | undefined {
  try {
    return check();
  } catch (error) {
    if (error instanceof InvalidInputsError) errors.push(...error.errors);
    else if (error instanceof InvalidInputError) errors.push(error);
    else throw error;
    return undefined;
  }
}
