/** Destinations (phone numbers, email addresses) and the policy rules that allow them. */
package io.keybrake.core.destination;
