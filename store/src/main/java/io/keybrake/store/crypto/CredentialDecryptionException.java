package io.keybrake.store.crypto;

/**
 * A stored credential could not be decrypted: the key-encryption key is not the one it was sealed
 * with, or the ciphertext was altered or moved to another key's row. The message names the key id
 * only, never the ciphertext or the secret.
 */
public class CredentialDecryptionException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public CredentialDecryptionException(String message) {
    super(message);
  }
}
