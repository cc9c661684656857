/**
 * The shape of the configuration as an operator reads it ({@code sluice explain}): each field's
 * name, type, default, whether it is required and its description. Read from the records
 * themselves; descriptions are their javadoc {@code @param} lines, which the build copies into a
 * resource next to each record (module {@code sluice-field-docs}).
 */
package io.sluice.api.schema;
