package io.keybrake.cli.admin;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Prints JSON objects as an aligned text table, one row each. Stateless. */
final class Table {
  private Table() {}

  static void print(PrintWriter out, List<JsonNode> rows, List<String> columns) {
    List<String[]> cells = new ArrayList<>();
    int[] width = new int[columns.size()];
    String[] head = new String[columns.size()];
    for (int i = 0; i < columns.size(); i++) {
      head[i] = columns.get(i).toUpperCase(java.util.Locale.ROOT);
      width[i] = head[i].length();
    }
    for (JsonNode row : rows) {
      String[] line = new String[columns.size()];
      for (int i = 0; i < columns.size(); i++) {
        line[i] = text(row.get(columns.get(i)));
        width[i] = Math.max(width[i], line[i].length());
      }
      cells.add(line);
    }
    out.println(line(head, width));
    for (String[] line : cells) {
      out.println(line(line, width));
    }
  }

  private static String line(String[] values, int[] width) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < values.length; i++) {
      if (i > 0) {
        b.append("  ");
      }
      b.append(values[i]);
      if (i < values.length - 1) {
        b.append(" ".repeat(width[i] - values[i].length()));
      }
    }
    return b.toString();
  }

  static String text(JsonNode v) {
    if (v == null || v.isNull() || v.isMissingNode()) {
      return "-";
    }
    if (v.isObject()) {
      List<String> parts = new ArrayList<>();
      for (Map.Entry<String, JsonNode> e : v.properties()) {
        parts.add(e.getKey() + "=" + e.getValue().asText());
      }
      return parts.isEmpty() ? "-" : String.join(",", parts);
    }
    return v.isValueNode() ? v.asText() : v.toString();
  }
}
