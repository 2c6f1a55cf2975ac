/**
 * Reading requests at the edge: path normalization ({@link
 * io.keybrake.core.request.PathNormalizer}), strict form ({@link
 * io.keybrake.core.request.FormBody}) and JSON ({@link io.keybrake.core.request.JsonBody}) bodies.
 * What cannot be read one way is refused with {@code unreadable_request}, never guessed.
 */
package io.keybrake.core.request;
