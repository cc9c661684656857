package io.sluice.api;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a record component of a spec or of a filter's config record as a credential: a value that
 * proves an identity (an API key, a password, a shared signing secret). Readers without the right
 * to change the configuration (the admin API's {@code viewer} role) get it as
 * {@link io.sluice.api.codec.Redaction#REDACTED} wherever an object is shown: objects, history and
 * diffs. This annotation is the one place credentials are declared: a new kind or filter declares
 * its own by annotating the component; nothing else lists them.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.RECORD_COMPONENT)
public @interface Credential {}
