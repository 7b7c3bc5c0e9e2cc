#!/bin/sh
# Stands in for the unit tests when configure did not find CMocka, so that
# `make check` fails loudly instead of passing with half the suite.
echo "the unit tests need CMocka: install the Debian package libcmocka-dev and re-run ./configure" >&2
exit 1
