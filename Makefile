# Multiplicity: the two commands.
#   make run   install what is missing, build, and run the whole platform on this machine
#   make test  run every test of the project

.PHONY: run test build clean

run:
	@bash scripts/run.sh

test:
	@bash scripts/test.sh

build:
	@bash scripts/build.sh

clean:
	@bash scripts/build.sh clean
