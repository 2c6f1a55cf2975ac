package io.keybrake.cli.admin;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The reports of {@code docs/reporting.md}, read from that very file (packaged into the jar), run
 * with their psql variables {@code :'name'} bound as parameters. Stateless.
 */
final class ReportQueries {
  static final String RESOURCE = "/reports/reporting.md";
  private static final Pattern BLOCK = Pattern.compile("```sql\\n(.*?)```", Pattern.DOTALL);
  private static final Pattern NAME = Pattern.compile("^-- report: (\\w+)", Pattern.MULTILINE);
  private static final Pattern VARIABLE = Pattern.compile(":'(\\w+)'");

  private ReportQueries() {}

  /** Report name -> SQL, as printed in the document. */
  static Map<String, String> parse(String markdown) {
    Map<String, String> out = new LinkedHashMap<>();
    Matcher m = BLOCK.matcher(markdown);
    while (m.find()) {
      Matcher n = NAME.matcher(m.group(1));
      if (n.find()) {
        out.put(n.group(1), m.group(1));
      }
    }
    return out;
  }

  static Map<String, String> load() {
    try (InputStream in = ReportQueries.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException("the reports are not packaged (" + RESOURCE + ")");
      }
      return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Runs one report; each row is column name -> value (numbers exact, others as text). */
  static List<Map<String, Object>> run(Connection c, String sql, Map<String, String> vars)
      throws SQLException {
    List<String> order = new ArrayList<>();
    Matcher m = VARIABLE.matcher(sql);
    StringBuilder jdbc = new StringBuilder();
    while (m.find()) {
      order.add(m.group(1));
      m.appendReplacement(jdbc, "?");
    }
    m.appendTail(jdbc);
    try (PreparedStatement ps = c.prepareStatement(jdbc.toString().trim().replaceAll(";$", ""))) {
      for (int i = 0; i < order.size(); i++) {
        String v = vars.get(order.get(i));
        if (v == null) {
          throw new IllegalArgumentException("the report needs :'" + order.get(i) + "'");
        }
        ps.setString(i + 1, v);
      }
      List<Map<String, Object>> rows = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        ResultSetMetaData md = rs.getMetaData();
        while (rs.next()) {
          Map<String, Object> row = new LinkedHashMap<>();
          for (int i = 1; i <= md.getColumnCount(); i++) {
            Object v = rs.getObject(i);
            row.put(md.getColumnLabel(i), v instanceof Number ? v : rs.getString(i));
          }
          rows.add(row);
        }
      }
      return rows;
    }
  }
}
