/**
 * Budget threshold notifications: the events (50/80/100 % of a cap in a window) and the port that
 * makes each one happen at most once.
 */
package io.keybrake.core.notify;
