package io.keybrake.store.crypto;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.keybrake.core.key.VendorCredential;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.Objects;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;

/**
 * {@code CredentialCipher} seals vendor credentials with AES-256-GCM under the {@link
 * KeyEncryptionKey}: a random 12-byte nonce per value, the key id as additional authenticated data
 * (a ciphertext copied to another key's row does not open), and a versioned text format {@code
 * "v1:" + base64(nonce | ciphertext | tag)}. The plain text is JSON: {@code {"type":"fields",
 * "fields":{…}}} holds the fields a vendor spec declares; rows written before that ({@code
 * "twilio"}, {@code "api_key"}) still decrypt to {@link VendorCredential.Twilio} and {@link
 * VendorCredential.ApiKey}. Thread-safe: each thread reuses one {@link Cipher} (looking one up per
 * value was 3 % of key creation's CPU), re-initialised for every value with that value's own nonce,
 * so no nonce is ever used twice.
 */
public final class CredentialCipher {
  static final String V1 = "v1:";
  private static final int NONCE_BYTES = 12;
  private static final int TAG_BITS = 128;
  private static final ObjectMapper JSON = new ObjectMapper();

  private final KeyEncryptionKey kek;
  private final SecureRandom random = new SecureRandom();

  /**
   * This thread's cipher. Every use starts with {@code init} (with a fresh random nonce to seal,
   * the stored nonce to open), which discards whatever an earlier, possibly failed, use left in it.
   */
  private final ThreadLocal<Cipher> ciphers =
      ThreadLocal.withInitial(
          () -> {
            try {
              return Cipher.getInstance("AES/GCM/NoPadding");
            } catch (GeneralSecurityException e) {
              throw new IllegalStateException("AES-GCM is not available", e);
            }
          });

  public CredentialCipher(KeyEncryptionKey kek) {
    this.kek = Objects.requireNonNull(kek);
  }

  /** The sealed text of {@code credential}, bound to {@code keyId}. */
  public String encrypt(String keyId, VendorCredential credential) {
    byte[] plain = serialise(credential);
    byte[] nonce = new byte[NONCE_BYTES];
    random.nextBytes(nonce);
    try {
      Cipher cipher = ciphers.get();
      cipher.init(Cipher.ENCRYPT_MODE, kek.secretKey(), new GCMParameterSpec(TAG_BITS, nonce));
      cipher.updateAAD(keyId.getBytes(StandardCharsets.UTF_8));
      byte[] sealed = cipher.doFinal(plain);
      ByteBuffer out = ByteBuffer.allocate(NONCE_BYTES + sealed.length);
      out.put(nonce).put(sealed);
      return V1 + Base64.getEncoder().encodeToString(out.array());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM is not available", e);
    } finally {
      Arrays.fill(plain, (byte) 0);
    }
  }

  /**
   * The credential sealed in {@code blob} for {@code keyId}.
   *
   * @throws CredentialDecryptionException wrong key-encryption key, altered or moved ciphertext,
   *     unknown format version
   */
  public VendorCredential decrypt(String keyId, String blob) {
    if (blob == null || !blob.startsWith(V1)) {
      throw new CredentialDecryptionException(
          "credential of key " + keyId + " has an unknown format version");
    }
    byte[] raw;
    try {
      raw = Base64.getDecoder().decode(blob.substring(V1.length()));
    } catch (IllegalArgumentException e) {
      throw new CredentialDecryptionException(
          "credential of key " + keyId + " is not valid base64");
    }
    if (raw.length < NONCE_BYTES + TAG_BITS / 8) {
      throw new CredentialDecryptionException("credential of key " + keyId + " is truncated");
    }
    byte[] plain;
    try {
      Cipher cipher = ciphers.get();
      cipher.init(
          Cipher.DECRYPT_MODE,
          kek.secretKey(),
          new GCMParameterSpec(TAG_BITS, raw, 0, NONCE_BYTES));
      cipher.updateAAD(keyId.getBytes(StandardCharsets.UTF_8));
      plain = cipher.doFinal(raw, NONCE_BYTES, raw.length - NONCE_BYTES);
    } catch (AEADBadTagException e) {
      throw new CredentialDecryptionException(
          "credential of key "
              + keyId
              + " does not decrypt: wrong key-encryption key, or the stored value was altered");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM is not available", e);
    }
    try {
      return deserialise(keyId, plain);
    } finally {
      Arrays.fill(plain, (byte) 0);
    }
  }

  private static byte[] serialise(VendorCredential credential) {
    ObjectNode node = JSON.createObjectNode();
    if (credential instanceof VendorCredential.Twilio t) {
      node.put("type", "twilio");
      node.put("account_sid", t.accountSid());
      node.put("auth_token", t.authToken());
    } else if (credential instanceof VendorCredential.ApiKey k) {
      node.put("type", "api_key");
      node.put("secret", k.secret());
    } else if (credential instanceof VendorCredential.Fields f) {
      // the fields the vendor's spec declares, by name: any vendor, no type per vendor
      node.put("type", "fields");
      ObjectNode fields = node.putObject("fields");
      new java.util.TreeMap<>(f.fields()).forEach(fields::put);
    } else {
      throw new IllegalArgumentException("unknown credential type");
    }
    return node.toString().getBytes(StandardCharsets.UTF_8);
  }

  private static VendorCredential deserialise(String keyId, byte[] plain) {
    try {
      JsonNode node = JSON.readTree(plain);
      String type = node.path("type").asText("");
      switch (type) {
        case "twilio":
          return new VendorCredential.Twilio(
              node.required("account_sid").asText(), node.required("auth_token").asText());
        case "api_key":
          return new VendorCredential.ApiKey(node.required("secret").asText());
        case "fields":
          {
            java.util.Map<String, String> fields = new java.util.LinkedHashMap<>();
            for (var e : node.required("fields").properties()) {
              if (!e.getValue().isTextual()) {
                throw new IllegalArgumentException("field " + e.getKey() + " is not text");
              }
              fields.put(e.getKey(), e.getValue().asText());
            }
            return new VendorCredential.Fields(fields);
          }
        default:
          throw new CredentialDecryptionException(
              "credential of key " + keyId + " has an unknown type");
      }
    } catch (IOException | IllegalArgumentException e) {
      throw new CredentialDecryptionException(
          "credential of key " + keyId + " decrypted to an unreadable value");
    }
  }
}
