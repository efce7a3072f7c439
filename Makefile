# Multiplicity: the two commands.
#   make run   install what is missing, build, and run the whole platform on this machine
#   make test  run every test of the project
#   (make openapi  refreshes the committed OpenAPI document and the portal's API types after an API change)

.PHONY: run test build clean openapi

run:
	@bash scripts/run.sh

test:
	@bash scripts/test.sh

build:
	@bash scripts/build.sh

clean:
	@bash scripts/build.sh clean

openapi:
	@bash scripts/openapi.sh
