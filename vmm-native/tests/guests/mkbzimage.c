/*
 * Wraps a linked test kernel (ELF, loaded at 1 MiB) in a bzImage: a boot
 * sector and one setup sector holding the setup header of the Linux boot
 * protocol (Documentation/arch/x86/boot.rst), then the flat kernel.
 */
#include <elf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SETUP_SECTORS 1
#define KERNEL_ADDRESS 0x100000

static void put16(uint8_t *image, size_t offset, uint16_t value)
{
	memcpy(image + offset, &value, 2);
}

static void put32(uint8_t *image, size_t offset, uint32_t value)
{
	memcpy(image + offset, &value, 4);
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: mkbzimage KERNEL.elf OUTPUT\n");
		return 2;
	}
	FILE *input = fopen(argv[1], "rb");
	if (!input) {
		perror(argv[1]);
		return 1;
	}
	static uint8_t elf[4 << 20];
	size_t elf_size = fread(elf, 1, sizeof(elf), input);
	fclose(input);
	const Elf64_Ehdr *header = (const Elf64_Ehdr *)elf;
	if (elf_size < sizeof(*header) || memcmp(elf, ELFMAG, SELFMAG) != 0) {
		fprintf(stderr, "%s: not an ELF file\n", argv[1]);
		return 1;
	}
	static uint8_t kernel[4 << 20];
	uint64_t file_end = 0, memory_end = 0;
	for (unsigned i = 0; i < header->e_phnum; i++) {
		const Elf64_Phdr *program =
			(const Elf64_Phdr *)(elf + header->e_phoff + i * sizeof(Elf64_Phdr));
		if (program->p_type != PT_LOAD)
			continue;
		if (program->p_paddr < KERNEL_ADDRESS ||
		    program->p_paddr + program->p_memsz - KERNEL_ADDRESS > sizeof(kernel) ||
		    program->p_offset + program->p_filesz > elf_size) {
			fprintf(stderr, "%s: segment outside the kernel image\n", argv[1]);
			return 1;
		}
		memcpy(kernel + program->p_paddr - KERNEL_ADDRESS, elf + program->p_offset,
		       program->p_filesz);
		if (program->p_paddr + program->p_filesz - KERNEL_ADDRESS > file_end)
			file_end = program->p_paddr + program->p_filesz - KERNEL_ADDRESS;
		if (program->p_paddr + program->p_memsz - KERNEL_ADDRESS > memory_end)
			memory_end = program->p_paddr + program->p_memsz - KERNEL_ADDRESS;
	}

	uint8_t setup[(SETUP_SECTORS + 1) * 512];
	memset(setup, 0, sizeof(setup));
	setup[0x1f1] = SETUP_SECTORS;          /* setup_sects */
	put16(setup, 0x1fe, 0xaa55);           /* boot_flag */
	setup[0x200] = 0xeb;                   /* jump over the header ... */
	setup[0x201] = 0x6a;                   /* ... which ends at 0x202 + 0x6a */
	memcpy(setup + 0x202, "HdrS", 4);      /* header */
	put16(setup, 0x206, 0x020f);           /* version 2.15 */
	setup[0x211] = 0x01;                   /* loadflags: LOADED_HIGH */
	put32(setup, 0x214, KERNEL_ADDRESS);   /* code32_start */
	put32(setup, 0x22c, 0x7fffffff);       /* initrd_addr_max */
	put32(setup, 0x230, 0x200000);         /* kernel_alignment */
	put16(setup, 0x236, 0x0001);           /* xloadflags: XLF_KERNEL_64 */
	put32(setup, 0x238, 0x7ff);            /* cmdline_size */
	uint64_t preferred = KERNEL_ADDRESS;
	memcpy(setup + 0x258, &preferred, 8);  /* pref_address */
	put32(setup, 0x260, (uint32_t)((memory_end + 4095) & ~4095ULL)); /* init_size */

	FILE *output = fopen(argv[2], "wb");
	if (!output || fwrite(setup, 1, sizeof(setup), output) != sizeof(setup) ||
	    fwrite(kernel, 1, file_end, output) != file_end || fclose(output) != 0) {
		perror(argv[2]);
		return 1;
	}
	return 0;
}
