/**
 * A key the user unlocks in this page to sign transactions (a vote, say). The
 * key file is read and decrypted here (src/crypto/keyfile.ts: scrypt and
 * AES-GCM in the browser) and the secret stays in this page's memory: never
 * stored, never sent. Transactions are signed locally by the SDK's `sendTx`.
 */
import { createContext, type ReactNode, useCallback, useContext, useMemo, useState } from 'react';
import type { SigningKeyPair } from '../../../src/crypto/ed25519.ts';
import { decryptKeyFile, MAX_KEY_FILE_BYTES, parseKeyFile } from '../../../src/crypto/keyfile.ts';

export interface UnlockedKey {
  readonly label: string;
  readonly publicKey: string;
  readonly signing: SigningKeyPair;
}

interface KeyContextValue {
  readonly key: UnlockedKey | undefined;
  unlock(text: string, passphrase: string): Promise<UnlockedKey>;
  forget(): void;
}

const KeyContext = createContext<KeyContextValue | undefined>(undefined);

export function KeyProvider({ children }: { children: ReactNode }) {
  const [key, setKey] = useState<UnlockedKey>();
  const unlock = useCallback(async (text: string, passphrase: string) => {
    if (text.length > MAX_KEY_FILE_BYTES) {
      throw Object.assign(new Error(`a key file is at most ${MAX_KEY_FILE_BYTES} bytes`), {
        code: 'KEY_FILE_INVALID',
      });
    }
    const file = parseKeyFile(text);
    const identity = await decryptKeyFile(file, passphrase);
    const unlocked = {
      label: file.label,
      publicKey: file.publicKey.toLowerCase(),
      signing: identity.signing,
    };
    setKey(unlocked);
    return unlocked;
  }, []);
  const forget = useCallback(() => setKey(undefined), []);
  const value = useMemo(() => ({ key, unlock, forget }), [key, unlock, forget]);
  return <KeyContext.Provider value={value}>{children}</KeyContext.Provider>;
}

export function useKey(): KeyContextValue {
  const value = useContext(KeyContext);
  if (!value) throw new Error('useKey outside KeyProvider');
  return value;
}
