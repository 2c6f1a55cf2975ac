package io.keybrake.operator.manifests;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.CelValidationException;
import dev.cel.common.types.SimpleType;
import dev.cel.compiler.CelCompiler;
import dev.cel.compiler.CelCompilerFactory;
import dev.cel.parser.CelStandardMacro;
import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelRuntime;
import dev.cel.runtime.CelRuntimeFactory;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Evaluates a CRD schema's {@code x-kubernetes-validations} (CEL) rules the way the API server
 * does: each rule where its schema node has a value, with {@code self} bound to that value (objects
 * as maps, integers as int, numbers as double); transition rules (those naming {@code oldSelf})
 * only on an update whose old object has a value there too. Compiled once per rule; rules are
 * checked as {@code dyn}, so a rule that does not compile fails loudly rather than passing.
 */
final class CrdCelRules {
  private static final CelCompiler COMPILER =
      CelCompilerFactory.standardCelCompilerBuilder()
          .setStandardMacros(CelStandardMacro.STANDARD_MACROS) // has(), all(), exists(), …
          .addVar("self", SimpleType.DYN)
          .addVar("oldSelf", SimpleType.DYN)
          .build();
  private static final CelRuntime RUNTIME = CelRuntimeFactory.standardCelRuntimeBuilder().build();

  private final JsonNode schema;
  private final Map<String, CelRuntime.Program> programs = new HashMap<>();

  /**
   * @param schema a CRD version's {@code openAPIV3Schema}
   */
  CrdCelRules(JsonNode schema) {
    this.schema = schema;
  }

  /** The messages of the rules {@code resource} breaks on create. */
  List<String> errors(JsonNode resource) {
    List<String> out = new ArrayList<>();
    walk(schema, resource, null, "", out);
    return out;
  }

  /** The messages of the rules an update from {@code old} to {@code updated} breaks. */
  List<String> errors(JsonNode old, JsonNode updated) {
    List<String> out = new ArrayList<>();
    walk(schema, updated, old, "", out);
    return out;
  }

  /** How many rules the schema has, everywhere. */
  int ruleCount() {
    return count(schema);
  }

  private static int count(JsonNode s) {
    int n = s.path("x-kubernetes-validations").size();
    for (JsonNode p : s.path("properties")) {
      n += count(p);
    }
    if (s.path("items").isObject()) {
      n += count(s.path("items"));
    }
    if (s.path("additionalProperties").isObject()) {
      n += count(s.path("additionalProperties"));
    }
    return n;
  }

  private void walk(JsonNode s, JsonNode value, JsonNode old, String path, List<String> out) {
    if (value == null || value.isMissingNode() || value.isNull()) {
      return;
    }
    for (JsonNode v : s.path("x-kubernetes-validations")) {
      String rule = v.path("rule").asText();
      boolean transition = rule.contains("oldSelf");
      if (transition && (old == null || old.isMissingNode() || old.isNull())) {
        continue;
      }
      Map<String, Object> vars = new HashMap<>();
      vars.put("self", cel(value));
      if (transition) {
        vars.put("oldSelf", cel(old));
      }
      Object result;
      try {
        result = program(rule).eval(vars);
      } catch (CelEvaluationException e) {
        throw new AssertionError("CEL rule at " + path + " fails to evaluate: " + rule, e);
      }
      if (!Boolean.TRUE.equals(result)) {
        String message = v.path("message").asText(rule);
        out.add((path.isEmpty() ? "<root>" : path) + ": " + message);
      }
    }
    JsonNode properties = s.path("properties");
    for (Iterator<String> it = properties.fieldNames(); it.hasNext(); ) {
      String name = it.next();
      walk(
          properties.get(name),
          value.path(name),
          old == null ? null : old.path(name),
          path + "." + name,
          out);
    }
    if (s.path("items").isObject() && value.isArray()) {
      for (int i = 0; i < value.size(); i++) {
        // list items are correlated for transition rules only in map-type lists; not used here
        walk(s.path("items"), value.get(i), null, path + "[" + i + "]", out);
      }
    }
    if (s.path("additionalProperties").isObject() && value.isObject()) {
      for (Iterator<String> it = value.fieldNames(); it.hasNext(); ) {
        String key = it.next();
        walk(
            s.path("additionalProperties"),
            value.get(key),
            old == null ? null : old.path(key),
            path + "[" + key + "]",
            out);
      }
    }
  }

  private CelRuntime.Program program(String rule) {
    return programs.computeIfAbsent(
        rule,
        r -> {
          try {
            CelAbstractSyntaxTree ast = COMPILER.compile(r).getAst();
            return RUNTIME.createProgram(ast);
          } catch (CelValidationException | CelEvaluationException e) {
            throw new AssertionError("CEL rule does not compile: " + r, e);
          }
        });
  }

  /**
   * JSON as CEL sees it through the API server: maps, lists, int (64 bit), double, string, bool.
   */
  static Object cel(JsonNode node) {
    if (node.isObject()) {
      Map<String, Object> m = new LinkedHashMap<>();
      for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
        String key = it.next();
        m.put(key, cel(node.get(key)));
      }
      return m;
    }
    if (node.isArray()) {
      List<Object> l = new ArrayList<>();
      node.forEach(n -> l.add(cel(n)));
      return l;
    }
    if (node.isIntegralNumber()) {
      return node.asLong();
    }
    if (node.isNumber()) {
      return node.asDouble();
    }
    if (node.isBoolean()) {
      return node.asBoolean();
    }
    return node.asText();
  }
}
