/*
 * A small ACPI Machine Language writer (ACPI 6.4, chapter 20) for the DSDT:
 * names, integers, strings, scopes, devices, packages and the resource
 * descriptors (chapter 6.4) a microVM needs. Like every device model here it
 * knows no guest: it fills a caller's buffer and reports overflow once, at
 * the end.
 */
#ifndef MVM_AML_H
#define MVM_AML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AML_MAX_DEPTH 8

struct aml {
	uint8_t *data;
	size_t length, capacity;
	bool overflow;
	size_t open[AML_MAX_DEPTH]; /* where each open PkgLength starts */
	unsigned depth;
};

void aml_init(struct aml *aml, uint8_t *buffer, size_t capacity);
/* Name (NAME, ...): the value follows as the next term. */
void aml_name(struct aml *aml, const char *name);
void aml_integer(struct aml *aml, uint64_t value);
void aml_string(struct aml *aml, const char *text);
/* Scope (NAME) { ... } and Device (NAME) { ... }: close with aml_close(). */
void aml_scope(struct aml *aml, const char *name);
void aml_device(struct aml *aml, const char *name);
/* Package (COUNT) { ... }: COUNT integers or strings follow, then aml_close(). */
void aml_package(struct aml *aml, unsigned count);
/* ResourceTemplate () { ... }: descriptors follow, then aml_close_resources(). */
void aml_resources(struct aml *aml);
void aml_io(struct aml *aml, uint16_t port, uint8_t length);
void aml_irq_no_flags(struct aml *aml, unsigned irq);
void aml_memory32_fixed(struct aml *aml, uint32_t base, uint32_t length, bool writable);
/* Interrupt (ResourceConsumer, Edge|Level, ActiveHigh, Exclusive) { gsi } */
void aml_interrupt(struct aml *aml, uint32_t gsi, bool edge);
void aml_close_resources(struct aml *aml);
void aml_close(struct aml *aml);
/* The bytes written, or a negative errno when the buffer was too small or a block is open. */
long aml_finish(const struct aml *aml);

#endif
