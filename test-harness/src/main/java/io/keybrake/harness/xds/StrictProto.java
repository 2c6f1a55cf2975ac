package io.keybrake.harness.xds;

import com.google.protobuf.Any;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.TypeRegistry;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Checks a message the way a strict Envoy would: no field the proto does not declare, no enum
 * number it does not name, and every nested {@code Any} (a {@code typed_config}) of an extension
 * type Envoy knows, which parses. Stateless and thread-safe.
 */
public final class StrictProto {

  private final TypeRegistry registry;
  private final Set<String> extensions;

  /**
   * @param registry resolves type URLs to descriptors
   * @param extensions full names of the types allowed inside a nested {@code Any}
   */
  public StrictProto(TypeRegistry registry, Set<String> extensions) {
    this.registry = registry;
    this.extensions = Set.copyOf(extensions);
  }

  /** The checker for Keybrake's Envoy types ({@link EnvoyTypes}). */
  public static StrictProto envoy() {
    return new StrictProto(EnvoyTypes.registry(), EnvoyTypes.EXTENSIONS);
  }

  /** The first problem found, as Envoy would word a rejection, or empty if the message is clean. */
  public Optional<String> check(Message message) {
    return check(message, message.getDescriptorForType().getFullName());
  }

  /**
   * Unpacks an xDS resource by its type URL, which must be {@code expectedTypeUrl}, and checks it.
   */
  public Optional<String> checkResource(Any any, String expectedTypeUrl, String path) {
    if (!any.getTypeUrl().equals(expectedTypeUrl)) {
      return Optional.of(path + ": type " + any.getTypeUrl() + ", expected " + expectedTypeUrl);
    }
    return unpackAndCheck(any, path);
  }

  private Optional<String> checkExtension(Any any, String path) {
    String name = any.getTypeUrl().substring(any.getTypeUrl().lastIndexOf('/') + 1);
    if (!extensions.contains(name)) {
      return Optional.of(path + ": unknown type " + any.getTypeUrl());
    }
    return unpackAndCheck(any, path);
  }

  private Optional<String> unpackAndCheck(Any any, String path) {
    Descriptor d;
    try {
      d = registry.getDescriptorForTypeUrl(any.getTypeUrl());
    } catch (InvalidProtocolBufferException e) {
      d = null;
    }
    if (d == null) {
      return Optional.of(path + ": unknown type " + any.getTypeUrl());
    }
    DynamicMessage inner;
    try {
      inner = DynamicMessage.parseFrom(d, any.getValue());
    } catch (InvalidProtocolBufferException e) {
      return Optional.of(path + ": " + any.getTypeUrl() + " does not parse: " + e.getMessage());
    }
    return check(inner, path + "<" + d.getFullName() + ">");
  }

  private Optional<String> check(Message message, String path) {
    if (!message.getUnknownFields().asMap().isEmpty()) {
      return Optional.of(
          path + ": unknown field number(s) " + message.getUnknownFields().asMap().keySet());
    }
    if (message.getDescriptorForType().getFullName().equals(Any.getDescriptor().getFullName())) {
      Any any;
      try {
        any = message instanceof Any a ? a : Any.parseFrom(message.toByteString());
      } catch (InvalidProtocolBufferException e) {
        return Optional.of(path + ": bad Any: " + e.getMessage());
      }
      return checkExtension(any, path);
    }
    for (Map.Entry<FieldDescriptor, Object> e : message.getAllFields().entrySet()) {
      FieldDescriptor f = e.getKey();
      List<?> values = f.isRepeated() ? (List<?>) e.getValue() : List.of(e.getValue());
      for (int i = 0; i < values.size(); i++) {
        String at = path + "." + f.getName() + (f.isRepeated() ? "[" + i + "]" : "");
        Optional<String> problem = checkValue(f, values.get(i), at);
        if (problem.isPresent()) {
          return problem;
        }
      }
    }
    return Optional.empty();
  }

  private Optional<String> checkValue(FieldDescriptor f, Object value, String at) {
    if (f.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
      return check((Message) value, at);
    }
    if (f.getJavaType() == FieldDescriptor.JavaType.ENUM) {
      EnumValueDescriptor v = (EnumValueDescriptor) value;
      if (f.getEnumType().findValueByNumber(v.getNumber()) == null) {
        return Optional.of(at + ": unknown enum value " + v.getNumber());
      }
    }
    return Optional.empty();
  }
}
