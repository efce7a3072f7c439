package io.multiplicity.catalog;

import io.multiplicity.operation.OperationContext;
import io.multiplicity.operation.OperationHandler;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

/**
 * Imports an image version from a URL as an operation: the download reports its bytes fetched of
 * the total, can be cancelled, and nothing of a failed or cancelled import stays behind. Not
 * resumable: a download cut by a restart fails with the reason, and the user imports again.
 */
@ApplicationScoped
public class ImageUrlImportHandler implements OperationHandler {

    @Inject
    ImageImports imports;

    @Override
    public String kind() {
        return ImageImports.IMPORT_URL;
    }

    @Override
    public boolean resumable() {
        return false;
    }

    @Override
    public void run(OperationContext context) {
        imports.runUrlImport(context);
    }
}
