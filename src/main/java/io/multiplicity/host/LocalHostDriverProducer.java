package io.multiplicity.host;

import io.quarkus.arc.DefaultBean;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;

/** Produces the driver of the in-process host agent. */
@ApplicationScoped
public class LocalHostDriverProducer {

    @Produces
    @DefaultBean
    @ApplicationScoped
    HostDriver localDriver() {
        return new NoRuntimeHostDriver();
    }
}
