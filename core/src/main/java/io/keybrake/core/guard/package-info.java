/**
 * Loop and velocity guards, send windows and shadow-mode caps: the guard step of a decision and the
 * port of its counters ({@code docs/policies.md}).
 */
package io.keybrake.core.guard;
