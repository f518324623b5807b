import { authError } from './errors.js';

/** Per user, the classes they may use and, for each, the methods and constructors they may call (`'*'` for all). */
export type AccessRules = Readonly<Record<string, Readonly<Record<string, readonly string[] | '*'>>>>;

/**
 * Which authenticated user may call what, beyond Event::RPC's all-or-nothing
 * login: each user is granted a subset of the exported classes and methods
 * (constructors included); everything else is refused. A user the rules do
 * not name may call nothing. Works with any auth module: it only needs the
 * name the user logged in with.
 */
export class AccessList {
  readonly #rules: AccessRules | ((user: string, className: string, method: string) => boolean);

  constructor(rules: AccessRules | ((user: string, className: string, method: string) => boolean)) {
    if (rules === null || (typeof rules !== 'object' && typeof rules !== 'function')) {
      throw authError('AUTH_INVALID_OPTION', 'an access list is a map of users to classes to methods, or a function');
    }
    this.#rules = rules;
  }

  /** Whether `user` may call `method` (a constructor too) of `className`; never for a connection not logged in. */
  allows(user: string | undefined, className: string, method: string): boolean {
    if (user === undefined) return false;
    if (typeof this.#rules === 'function') return this.#rules(user, className, method) === true;
    const classes = Object.hasOwn(this.#rules, user) ? this.#rules[user] : undefined;
    const methods = classes !== undefined && Object.hasOwn(classes, className) ? classes[className] : undefined;
    return methods === '*' || (Array.isArray(methods) && methods.includes(method));
  }
}
