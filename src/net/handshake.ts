/**
 * The application handshake run inside an established TLS 1.3 channel.
 *
 * TLS already proved that the peer holds the private key of its certificate
 * (CertificateVerify), and the certificate's key is the node key. The hello
 * adds what TLS cannot: the chain id, the protocol version and the advertised
 * listen address, signed by the node key over the channel's exported keying
 * material (RFC 8446 §7.5). The binding makes a hello worthless on any other
 * connection: a recorded hello cannot be replayed, and a relay that terminates
 * TLS itself would present a different binding.
 *
 * Checks, in order, each with its own stable code:
 *   NET_PROTOCOL_VERSION     the peer speaks another protocol version
 *   NET_WRONG_CHAIN          the peer belongs to another network
 *   NET_HELLO_KEY_MISMATCH   the hello names a key other than the certificate's
 *   NET_BAD_HELLO_SIGNATURE  the signature does not verify over this channel
 *   NET_PEER_NOT_ADMITTED    the key is not an admitted node key of this network
 */
import { concatBytes, equalBytes, toHex, utf8 } from '../codec/bytes.ts';
import { encode } from '../codec/schema.ts';
import { type SigningKeyPair, sign, verify } from '../crypto/ed25519.ts';
import { ValidationError, VerificationError } from '../errors.ts';
import { type Envelope, type HelloBody, HelloBodyCodec, PROTOCOL_VERSION } from './wire.ts';

/** RFC 5705/8446 exporter label for the channel binding both sides sign. */
export const SESSION_BINDING_LABEL = 'EXPORTER-meridian-hello-v1';
export const SESSION_BINDING_BYTES = 32;

const HELLO_SIGNING_DOMAIN = utf8('meridian/net/hello/v1');

export interface LocalIdentity {
  readonly keyPair: SigningKeyPair;
  readonly chainId: string;
  /** The address other nodes should dial to reach this node (advertised, informational). */
  readonly listenHost: string;
  readonly listenPort: number;
}

export type HelloEnvelope = Extract<Envelope, { type: 'hello' }>;

function helloSigningBytes(body: HelloBody, binding: Uint8Array): Uint8Array {
  return concatBytes(HELLO_SIGNING_DOMAIN, binding, encode(HelloBodyCodec, body));
}

/** The hello this node sends on a channel whose exported keying material is `binding`. */
export function makeHello(identity: LocalIdentity, binding: Uint8Array): HelloEnvelope {
  const body: HelloBody = {
    version: PROTOCOL_VERSION,
    chainId: identity.chainId,
    publicKey: identity.keyPair.publicKey,
    listenHost: identity.listenHost,
    listenPort: identity.listenPort,
  };
  return {
    type: 'hello',
    body,
    signature: sign(identity.keyPair.secretKey, helloSigningBytes(body, binding)),
  };
}

/** Throws `ValidationError` `NET_PEER_NOT_ADMITTED` unless `isAdmitted(publicKey)`. */
export function checkAdmitted(publicKey: Uint8Array, isAdmitted: (publicKey: Uint8Array) => boolean): void {
  if (!isAdmitted(publicKey)) {
    throw new ValidationError('NET_PEER_NOT_ADMITTED', `node key ${toHex(publicKey)} is not admitted`, {
      hint: 'only validator and admitted node keys of this network may connect; admit the node first',
    });
  }
}

/**
 * Checks a peer's hello against the channel it arrived on. Returns the body on
 * success; throws a typed error (codes above) on the first failed check.
 */
export function checkHello(
  hello: HelloEnvelope,
  expected: {
    chainId: string;
    /** The key the channel authenticated (the TLS certificate's key). */
    channelKey: Uint8Array;
    binding: Uint8Array;
    isAdmitted: (publicKey: Uint8Array) => boolean;
  },
): HelloBody {
  const { body } = hello;
  if (body.version !== PROTOCOL_VERSION) {
    throw new ValidationError(
      'NET_PROTOCOL_VERSION',
      `peer speaks protocol version ${body.version}; this node speaks ${PROTOCOL_VERSION}`,
      { hint: 'run the same Meridian release on every node of a network' },
    );
  }
  if (body.chainId !== expected.chainId) {
    throw new ValidationError(
      'NET_WRONG_CHAIN',
      `peer is on chain "${body.chainId}"; this node is on "${expected.chainId}"`,
      { hint: 'check the peer address: it belongs to another network' },
    );
  }
  if (!equalBytes(body.publicKey, expected.channelKey)) {
    throw new ValidationError(
      'NET_HELLO_KEY_MISMATCH',
      `hello names key ${toHex(body.publicKey)} but the TLS certificate holds ${toHex(expected.channelKey)}`,
      { hint: "a node's certificate must be made from its own node key (meridian init does this)" },
    );
  }
  if (!verify(body.publicKey, helloSigningBytes(body, expected.binding), hello.signature)) {
    throw new VerificationError(
      'NET_BAD_HELLO_SIGNATURE',
      `hello signature of ${toHex(body.publicKey)} does not verify over this connection`,
      { hint: 'the hello must be signed by the node key over this TLS session; a replayed hello fails' },
    );
  }
  checkAdmitted(body.publicKey, expected.isAdmitted);
  return body;
}
