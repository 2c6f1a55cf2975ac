/** E.164 destinations via libphonenumber: region, premium-rate type, WhatsApp channel. */
package io.keybrake.core.phone;
