/**
 * ssh2, loaded the first time a connection, a probe or a key needs it. The welcome screen and
 * `--help` never do: ssh2 and what it brings (its crypto checks at load, tweetnacl, bcrypt-pbkdf,
 * asn1) would otherwise be compiled and run before the wizard's first frame.
 */
import type ssh2 from 'ssh2';

export type Ssh2 = typeof ssh2;

let loading: Promise<Ssh2> | undefined;

export function loadSsh2(): Promise<Ssh2> {
  loading ??= import('ssh2').then((module) => module.default);
  return loading;
}
