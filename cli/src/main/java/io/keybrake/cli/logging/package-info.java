/** Logback converters that keep secrets out of log lines (see {@code logback.xml}). */
package io.keybrake.cli.logging;
