/** Checks that configured JWT verification keys are public keys matching the pinned algorithm. */
import { createPublicKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';

/** JWT algorithms `auth.jwt.algorithm` may pin. */
export const JWT_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'HS256',
] as const;

/** A JWT algorithm. */
export type JwtAlgorithm = (typeof JWT_ALGORITHMS)[number];

const EC_CURVES: Readonly<Record<string, string>> = {
  ES256: 'prime256v1',
  ES384: 'secp384r1',
  ES512: 'secp521r1',
};

const MIN_RSA_BITS = 2048;

/** What key an asymmetric algorithm needs, in words. */
function describeKeyFor(algorithm: JwtAlgorithm): string {
  if (algorithm.startsWith('RS') || algorithm.startsWith('PS'))
    return `an RSA public key of at least ${MIN_RSA_BITS} bits`;
  if (algorithm.startsWith('ES')) return `an EC public key on curve ${EC_CURVES[algorithm] ?? '?'}`;
  return 'an Ed25519 or Ed448 public key';
}

function matches(key: KeyObject, algorithm: JwtAlgorithm): boolean {
  const type = key.asymmetricKeyType;
  const details = key.asymmetricKeyDetails;
  if (type === 'rsa' || type === 'rsa-pss') {
    const rsaFamily = algorithm.startsWith('RS') || algorithm.startsWith('PS');
    // An RSA-PSS-only key cannot make RS* (PKCS#1 v1.5) signatures.
    const padding = type === 'rsa' || algorithm.startsWith('PS');
    return rsaFamily && padding && (details?.modulusLength ?? 0) >= MIN_RSA_BITS;
  }
  if (type === 'ec') return details?.namedCurve === EC_CURVES[algorithm];
  if (type === 'ed25519' || type === 'ed448') return algorithm === 'EdDSA';
  return false;
}

/**
 * Returns what is wrong with one PEM for `algorithm`, or `undefined` when it is a
 * public key of the right type. Private keys are refused: they must not sit in config.
 */
export function checkPublicKey(pem: string, algorithm: JwtAlgorithm): string | undefined {
  const wanted = describeKeyFor(algorithm);
  if (/PRIVATE KEY-----/.test(pem)) return `expected ${wanted}, not a private key`;
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch {
    return `expected ${wanted} in PEM form`;
  }
  return matches(key, algorithm) ? undefined : `expected ${wanted} for ${algorithm}`;
}
