#include "aml.h"

#include <errno.h>
#include <string.h>

/* Opcodes and prefixes (ACPI 6.4, 20.2.5). */
#define AML_ZERO 0x00
#define AML_ONE 0x01
#define AML_NAME 0x08
#define AML_BYTE_PREFIX 0x0a
#define AML_WORD_PREFIX 0x0b
#define AML_DWORD_PREFIX 0x0c
#define AML_STRING_PREFIX 0x0d
#define AML_QWORD_PREFIX 0x0e
#define AML_SCOPE 0x10
#define AML_BUFFER 0x11
#define AML_PACKAGE 0x12
#define AML_EXT_PREFIX 0x5b
#define AML_DEVICE 0x82 /* after AML_EXT_PREFIX */
#define AML_ROOT_CHAR '\\'

/* Resource descriptors (6.4.2 small, 6.4.3 large). */
#define RESOURCE_IRQ_NO_FLAGS 0x22 /* small item 4, length 2 */
#define RESOURCE_IO 0x47           /* small item 8, length 7 */
#define RESOURCE_END_TAG 0x79      /* small item 15, length 1 */
#define RESOURCE_MEMORY32_FIXED 0x86
#define RESOURCE_EXTENDED_INTERRUPT 0x89

/* Extended interrupt flags (6.4.3.6). */
#define INTERRUPT_CONSUMER (1u << 0)
#define INTERRUPT_EDGE (1u << 1)

void aml_init(struct aml *aml, uint8_t *buffer, size_t capacity)
{
	memset(aml, 0, sizeof(*aml));
	aml->data = buffer;
	aml->capacity = capacity;
}

static void put(struct aml *aml, const void *bytes, size_t length)
{
	if (aml->overflow || length > aml->capacity - aml->length) {
		aml->overflow = true;
		return;
	}
	memcpy(aml->data + aml->length, bytes, length);
	aml->length += length;
}

static void put_byte(struct aml *aml, uint8_t value)
{
	put(aml, &value, 1);
}

static void put_le(struct aml *aml, uint64_t value, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++)
		put_byte(aml, (uint8_t)(value >> (8 * i)));
}

/*
 * NameSeg (20.2.2): four characters, padded with '_'. A leading '\' makes
 * the name absolute.
 */
static void put_name(struct aml *aml, const char *name)
{
	char segment[4] = { '_', '_', '_', '_' };

	if (name[0] == AML_ROOT_CHAR) {
		put_byte(aml, AML_ROOT_CHAR);
		name++;
	}
	for (unsigned i = 0; i < 4 && name[i]; i++)
		segment[i] = name[i];
	put(aml, segment, 4);
}

/* Opens a PkgLength (20.2.4): one byte now, widened when the block closes. */
static void open_block(struct aml *aml)
{
	if (aml->depth == AML_MAX_DEPTH) {
		aml->overflow = true;
		return;
	}
	aml->open[aml->depth++] = aml->length;
	put_byte(aml, 0);
}

void aml_close(struct aml *aml)
{
	if (aml->overflow || aml->depth == 0) {
		aml->overflow = true;
		return;
	}
	size_t start = aml->open[--aml->depth];
	size_t body = aml->length - start - 1;
	/* The length counts its own encoding: 1 byte up to 63, else 2 to 4 bytes. */
	unsigned extra = body + 1 <= 0x3f ? 0 : body + 2 <= 0xfff ? 1 : body + 3 <= 0xfffff ? 2 : 3;
	size_t total = body + 1 + extra;

	if (extra > aml->capacity - aml->length || total > 0xfffffff) {
		aml->overflow = true;
		return;
	}
	memmove(aml->data + start + 1 + extra, aml->data + start + 1, body);
	aml->length += extra;
	if (!extra) {
		aml->data[start] = (uint8_t)total;
		return;
	}
	aml->data[start] = (uint8_t)((extra << 6) | (total & 0x0f));
	for (unsigned i = 1; i <= extra; i++)
		aml->data[start + i] = (uint8_t)(total >> (4 + 8 * (i - 1)));
}

void aml_name(struct aml *aml, const char *name)
{
	put_byte(aml, AML_NAME);
	put_name(aml, name);
}

void aml_integer(struct aml *aml, uint64_t value)
{
	if (value == 0) {
		put_byte(aml, AML_ZERO);
	} else if (value == 1) {
		put_byte(aml, AML_ONE);
	} else if (value <= 0xff) {
		put_byte(aml, AML_BYTE_PREFIX);
		put_le(aml, value, 1);
	} else if (value <= 0xffff) {
		put_byte(aml, AML_WORD_PREFIX);
		put_le(aml, value, 2);
	} else if (value <= 0xffffffff) {
		put_byte(aml, AML_DWORD_PREFIX);
		put_le(aml, value, 4);
	} else {
		put_byte(aml, AML_QWORD_PREFIX);
		put_le(aml, value, 8);
	}
}

void aml_string(struct aml *aml, const char *text)
{
	put_byte(aml, AML_STRING_PREFIX);
	put(aml, text, strlen(text) + 1);
}

void aml_scope(struct aml *aml, const char *name)
{
	put_byte(aml, AML_SCOPE);
	open_block(aml);
	put_name(aml, name);
}

void aml_device(struct aml *aml, const char *name)
{
	put_byte(aml, AML_EXT_PREFIX);
	put_byte(aml, AML_DEVICE);
	open_block(aml);
	put_name(aml, name);
}

void aml_package(struct aml *aml, unsigned count)
{
	put_byte(aml, AML_PACKAGE);
	open_block(aml);
	put_byte(aml, (uint8_t)count);
}

/*
 * A resource template is a Buffer (20.2.5.4: BufferOp PkgLength BufferSize
 * ByteList). Its size is only known at the end, so the BufferSize is a
 * DWord filled in by aml_close_resources().
 */
void aml_resources(struct aml *aml)
{
	put_byte(aml, AML_BUFFER);
	open_block(aml);
	put_byte(aml, AML_DWORD_PREFIX);
	put_le(aml, 0, 4);
}

void aml_io(struct aml *aml, uint16_t port, uint8_t length)
{
	put_byte(aml, RESOURCE_IO);
	put_byte(aml, 1); /* decodes 16 address lines */
	put_le(aml, port, 2); /* minimum base */
	put_le(aml, port, 2); /* maximum base */
	put_byte(aml, 1);     /* alignment */
	put_byte(aml, length);
}

void aml_irq_no_flags(struct aml *aml, unsigned irq)
{
	put_byte(aml, RESOURCE_IRQ_NO_FLAGS);
	put_le(aml, irq < 16 ? 1u << irq : 0, 2); /* IRQ mask: ISA lines 0-15 */
}

void aml_memory32_fixed(struct aml *aml, uint32_t base, uint32_t length, bool writable)
{
	put_byte(aml, RESOURCE_MEMORY32_FIXED);
	put_le(aml, 9, 2); /* length of what follows */
	put_byte(aml, writable ? 1 : 0);
	put_le(aml, base, 4);
	put_le(aml, length, 4);
}

void aml_interrupt(struct aml *aml, uint32_t gsi, bool edge)
{
	put_byte(aml, RESOURCE_EXTENDED_INTERRUPT);
	put_le(aml, 6, 2); /* flags, count and one interrupt number */
	put_byte(aml, (uint8_t)(INTERRUPT_CONSUMER | (edge ? INTERRUPT_EDGE : 0))); /* active high, exclusive */
	put_byte(aml, 1);
	put_le(aml, gsi, 4);
}

void aml_close_resources(struct aml *aml)
{
	put_byte(aml, RESOURCE_END_TAG);
	put_byte(aml, 0); /* checksum 0: "treated as if the checksum operation succeeded" */
	if (aml->overflow || aml->depth == 0) {
		aml->overflow = true;
		return;
	}
	size_t start = aml->open[aml->depth - 1];
	uint32_t size = (uint32_t)(aml->length - start - 1 - 5);
	memcpy(aml->data + start + 2, &size, 4); /* after the PkgLength byte and DWordPrefix */
	aml_close(aml);
}

long aml_finish(const struct aml *aml)
{
	if (aml->overflow || aml->depth)
		return -ENOSPC;
	return (long)aml->length;
}
