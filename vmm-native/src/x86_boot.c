#include "x86_boot.h"

#include <asm/bootparam.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

/* PVH boot ABI (xen/include/public/arch-x86/hvm/start_info.h). */
#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define HVM_START_MAGIC 0x336ec578

struct hvm_start_info {
	uint32_t magic;          /* HVM_START_MAGIC */
	uint32_t version;        /* 1: memmap fields are valid */
	uint32_t flags;
	uint32_t nr_modules;     /* entries in modlist (the initrd) */
	uint64_t modlist_paddr;
	uint64_t cmdline_paddr;  /* NUL terminated */
	uint64_t rsdp_paddr;     /* 0: no ACPI */
	uint64_t memmap_paddr;
	uint32_t memmap_entries;
	uint32_t reserved;
};

struct hvm_modlist_entry {
	uint64_t paddr;
	uint64_t size;
	uint64_t cmdline_paddr;
	uint64_t reserved;
};

struct hvm_memmap_entry {
	uint64_t address;
	uint64_t size;
	uint32_t type; /* e820 type */
	uint32_t reserved;
};

#define E820_TYPE_RAM 1
#define E820_TYPE_RESERVED 2
#define MAX_MEMORY_MAP 4

struct memory_map_entry {
	uint64_t address, size;
	uint32_t type;
};

static unsigned build_memory_map(const struct vm *vm, struct memory_map_entry *map)
{
	unsigned count = 0;

	map[count++] = (struct memory_map_entry){ 0, BOOT_RESERVED_LOW_START, E820_TYPE_RAM };
	map[count++] = (struct memory_map_entry){ BOOT_RESERVED_LOW_START,
						  BOOT_KERNEL_ADDRESS - BOOT_RESERVED_LOW_START,
						  E820_TYPE_RESERVED };
	map[count++] = (struct memory_map_entry){ BOOT_KERNEL_ADDRESS,
						  vm->memory.low_size - BOOT_KERNEL_ADDRESS,
						  E820_TYPE_RAM };
	if (vm->memory.size > vm->memory.low_size)
		map[count++] = (struct memory_map_entry){ GUEST_HIGH_RAM_START,
							  vm->memory.size - vm->memory.low_size,
							  E820_TYPE_RAM };
	return count;
}

static int read_whole_file(const char *path, uint8_t **contents, size_t *size)
{
	struct stat info;
	uint8_t *buffer = NULL;
	size_t done = 0;
	int ret = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &info) < 0) {
		ret = -errno;
		goto out;
	}
	buffer = malloc((size_t)info.st_size + 1);
	if (!buffer) {
		ret = -ENOMEM;
		goto out;
	}
	while (done < (size_t)info.st_size) {
		ssize_t got = read(fd, buffer + done, (size_t)info.st_size - done);
		if (got <= 0) {
			ret = got < 0 ? -errno : -EIO;
			goto out;
		}
		done += (size_t)got;
	}
	*contents = buffer;
	*size = done;
	buffer = NULL;
out:
	free(buffer);
	close(fd);
	return ret;
}

static int copy_to_guest(struct vm *vm, uint64_t gpa, const void *data, uint64_t length)
{
	void *host = guest_memory_pointer(&vm->memory, gpa, length);

	if (!host)
		return -ERANGE;
	memcpy(host, data, length);
	return 0;
}

static int load_initrd(struct vm *vm, const char *path, uint64_t highest_address,
		       uint64_t kernel_end, uint64_t *address, uint64_t *size)
{
	uint8_t *contents = NULL;
	size_t length = 0;
	int ret;

	*address = 0;
	*size = 0;
	if (!path)
		return 0;
	ret = read_whole_file(path, &contents, &length);
	if (ret < 0)
		return ret;
	uint64_t top = vm->memory.low_size < highest_address ? vm->memory.low_size : highest_address;
	if (length > top || ((top - length) & ~0xfffULL) < kernel_end) {
		free(contents);
		return -E2BIG;
	}
	*address = (top - length) & ~0xfffULL;
	*size = length;
	ret = copy_to_guest(vm, *address, contents, length);
	free(contents);
	return ret;
}

static int write_cmdline(struct vm *vm, const char *cmdline)
{
	size_t length = strlen(cmdline ? cmdline : "") + 1;

	if (length > BOOT_CMDLINE_MAX)
		return -E2BIG;
	return copy_to_guest(vm, BOOT_CMDLINE_ADDRESS, cmdline ? cmdline : "", length);
}

static void set_segment(struct kvm_segment *segment, uint16_t selector, uint8_t type, bool code64,
			bool big)
{
	*segment = (struct kvm_segment){
		.base = 0,
		.limit = 0xffffffff,
		.selector = selector,
		.type = type,
		.present = 1,
		.dpl = 0,
		.db = big,
		.s = 1,
		.l = code64,
		.g = 1,
	};
}

/*
 * PVH entry (xen/include/public/arch-x86/hvm/start_info.h): 32-bit protected
 * mode, paging off, flat 4 GiB CS/DS, %ebx = physical address of the
 * hvm_start_info.
 */
static int load_pvh_elf(struct vm *vm, const struct boot_config *config, const uint8_t *image,
			size_t image_size)
{
	const Elf64_Ehdr *header = (const Elf64_Ehdr *)image;
	uint64_t entry = 0, kernel_end = 0;
	struct memory_map_entry map[MAX_MEMORY_MAP];
	int ret;

	if (image_size < sizeof(*header) || header->e_ident[EI_CLASS] != ELFCLASS64 ||
	    header->e_machine != EM_X86_64 || header->e_phentsize != sizeof(Elf64_Phdr) ||
	    header->e_phoff > image_size ||
	    (uint64_t)header->e_phnum * sizeof(Elf64_Phdr) > image_size - header->e_phoff)
		return -ENOEXEC;
	const Elf64_Phdr *programs = (const Elf64_Phdr *)(image + header->e_phoff);

	for (unsigned i = 0; i < header->e_phnum; i++) {
		const Elf64_Phdr *program = &programs[i];
		if (program->p_offset > image_size || program->p_filesz > image_size - program->p_offset)
			return -ENOEXEC;
		if (program->p_type == PT_LOAD) {
			uint8_t *host = guest_memory_pointer(&vm->memory, program->p_paddr, program->p_memsz);
			if (!host || program->p_filesz > program->p_memsz)
				return -ERANGE;
			/*
			 * Guest RAM is freshly mapped anonymous memory, so the bss part is
			 * already zero; leaving it untouched keeps it unbacked.
			 */
			memcpy(host, image + program->p_offset, program->p_filesz);
			if (program->p_paddr + program->p_memsz > kernel_end)
				kernel_end = program->p_paddr + program->p_memsz;
		} else if (program->p_type == PT_NOTE) {
			uint64_t offset = 0;
			while (offset + sizeof(Elf64_Nhdr) <= program->p_filesz) {
				const Elf64_Nhdr *note =
					(const Elf64_Nhdr *)(image + program->p_offset + offset);
				uint64_t name_size = (note->n_namesz + 3ULL) & ~3ULL;
				uint64_t desc_size = (note->n_descsz + 3ULL) & ~3ULL;
				const uint8_t *name = (const uint8_t *)(note + 1);
				const uint8_t *desc = name + name_size;
				if (offset + sizeof(*note) + name_size + desc_size > program->p_filesz)
					break;
				if (note->n_type == XEN_ELFNOTE_PHYS32_ENTRY && note->n_namesz == 4 &&
				    memcmp(name, "Xen", 4) == 0) {
					if (note->n_descsz == 4) {
						uint32_t value;
						memcpy(&value, desc, 4);
						entry = value;
					} else if (note->n_descsz == 8) {
						memcpy(&entry, desc, 8);
					}
				}
				offset += sizeof(*note) + name_size + desc_size;
			}
		}
	}
	if (!entry) {
		log_error("%s: no PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY)", config->kernel_path);
		return -ENOEXEC;
	}

	uint64_t initrd_address, initrd_size;
	ret = load_initrd(vm, config->initrd_path, 0x100000000ULL, kernel_end, &initrd_address,
			  &initrd_size);
	if (ret < 0)
		return ret;
	ret = write_cmdline(vm, config->cmdline);
	if (ret < 0)
		return ret;

	struct hvm_start_info start_info = {
		.magic = HVM_START_MAGIC,
		.version = 1,
		.cmdline_paddr = BOOT_CMDLINE_ADDRESS,
		.rsdp_paddr = config->acpi_rsdp,
		.memmap_paddr = BOOT_START_INFO_ADDRESS + 0x100,
	};
	unsigned map_count = build_memory_map(vm, map);
	struct hvm_memmap_entry memmap[MAX_MEMORY_MAP];
	for (unsigned i = 0; i < map_count; i++)
		memmap[i] = (struct hvm_memmap_entry){ map[i].address, map[i].size, map[i].type, 0 };
	start_info.memmap_entries = map_count;
	if (initrd_size) {
		struct hvm_modlist_entry module = { .paddr = initrd_address, .size = initrd_size };
		start_info.nr_modules = 1;
		start_info.modlist_paddr = BOOT_START_INFO_ADDRESS + 0x80;
		ret = copy_to_guest(vm, start_info.modlist_paddr, &module, sizeof(module));
		if (ret < 0)
			return ret;
	}
	ret = copy_to_guest(vm, BOOT_START_INFO_ADDRESS, &start_info, sizeof(start_info));
	if (ret == 0)
		ret = copy_to_guest(vm, start_info.memmap_paddr, memmap,
				    map_count * sizeof(memmap[0]));
	if (ret < 0)
		return ret;

	struct kvm_sregs *sregs = &vm->boot_sregs;
	memset(sregs, 0, sizeof(*sregs));
	set_segment(&sregs->cs, 0x10, 0xb, false, true); /* execute/read, accessed */
	set_segment(&sregs->ds, 0x18, 0x3, false, true); /* read/write, accessed */
	sregs->es = sregs->fs = sregs->gs = sregs->ss = sregs->ds;
	sregs->tr = (struct kvm_segment){ .selector = 0x20, .limit = 0x67, .type = 0xb, .present = 1 };
	sregs->cr0 = 0x11; /* PE, ET */
	vm->boot_sregs_valid = true;
	memset(&vm->boot_regs, 0, sizeof(vm->boot_regs));
	vm->boot_regs.rip = entry;
	vm->boot_regs.rbx = BOOT_START_INFO_ADDRESS;
	vm->boot_regs.rflags = 0x2;
	vm->boot_entry = entry;
	return 0;
}

static int setup_long_mode(struct vm *vm)
{
	/* Identity map the low 4 GiB with 2 MiB pages: PML4 -> PDPT -> 4 PDs. */
	uint64_t *pml4 = guest_memory_pointer(&vm->memory, BOOT_PAGE_TABLE_ADDRESS, 0x6000);
	uint64_t *gdt = guest_memory_pointer(&vm->memory, BOOT_GDT_ADDRESS, 4 * 8);

	if (!pml4 || !gdt)
		return -ERANGE;
	uint64_t *pdpt = pml4 + 512;
	uint64_t *directories = pml4 + 1024;
	memset(pml4, 0, 0x6000);
	pml4[0] = (BOOT_PAGE_TABLE_ADDRESS + 0x1000) | 0x3; /* present, writable */
	for (unsigned i = 0; i < 4; i++)
		pdpt[i] = (BOOT_PAGE_TABLE_ADDRESS + 0x2000 + 0x1000ULL * i) | 0x3;
	for (uint64_t i = 0; i < 4 * 512; i++)
		directories[i] = (i << 21) | 0x83; /* present, writable, 2 MiB page */

	/* boot.rst "64-bit boot protocol": __BOOT_CS is 0x10, __BOOT_DS is 0x18. */
	gdt[0] = 0;
	gdt[1] = 0;
	gdt[2] = 0x00af9b000000ffffULL; /* 64-bit code */
	gdt[3] = 0x00cf93000000ffffULL; /* data */

	struct kvm_sregs *sregs = &vm->boot_sregs;
	memset(sregs, 0, sizeof(*sregs));
	set_segment(&sregs->cs, 0x10, 0xb, true, false);
	set_segment(&sregs->ds, 0x18, 0x3, false, true);
	sregs->es = sregs->fs = sregs->gs = sregs->ss = sregs->ds;
	sregs->tr = (struct kvm_segment){ .selector = 0x20, .limit = 0x67, .type = 0xb, .present = 1 };
	sregs->gdt.base = BOOT_GDT_ADDRESS;
	sregs->gdt.limit = 4 * 8 - 1;
	sregs->cr3 = BOOT_PAGE_TABLE_ADDRESS;
	sregs->cr4 = 0x20;            /* PAE */
	sregs->cr0 = 0x80000011;      /* PG, ET, PE */
	sregs->efer = 0x500;          /* LME, LMA */
	vm->boot_sregs_valid = true;
	return 0;
}

/*
 * Linux x86 boot protocol (Documentation/arch/x86/boot.rst), 64-bit entry:
 * the protected-mode kernel sits at its load address, %rsi points at the
 * boot_params ("zero page") and the CPU enters at load address + 0x200.
 */
static int load_bzimage(struct vm *vm, const struct boot_config *config, const uint8_t *image,
			size_t image_size)
{
	struct boot_params *params;
	struct setup_header header;
	struct memory_map_entry map[MAX_MEMORY_MAP];
	int ret;

	if (image_size < 0x1f1 + sizeof(header))
		return -ENOEXEC;
	memcpy(&header, image + 0x1f1, sizeof(header));
	if (header.header != 0x53726448 || header.version < 0x206) /* "HdrS", 2.06+ */
		return -ENOEXEC;
	if (!(header.xloadflags & XLF_KERNEL_64)) {
		log_error("%s: bzImage has no 64-bit entry point", config->kernel_path);
		return -ENOEXEC;
	}
	unsigned setup_sectors = header.setup_sects ? header.setup_sects : 4;
	size_t kernel_offset = (setup_sectors + 1) * 512ULL;
	if (kernel_offset >= image_size)
		return -ENOEXEC;
	uint64_t load_address = BOOT_KERNEL_ADDRESS;
	if (header.version >= 0x20a && header.pref_address >= BOOT_KERNEL_ADDRESS &&
	    header.pref_address + header.init_size < vm->memory.low_size)
		load_address = header.pref_address;
	uint64_t kernel_size = image_size - kernel_offset;
	uint64_t kernel_end = load_address + (header.init_size > kernel_size ? header.init_size
									    : kernel_size);
	ret = copy_to_guest(vm, load_address, image + kernel_offset, kernel_size);
	if (ret < 0)
		return ret;

	params = guest_memory_pointer(&vm->memory, BOOT_PARAMS_ADDRESS, sizeof(*params));
	if (!params)
		return -ERANGE;
	memset(params, 0, sizeof(*params));
	/* The setup header runs from 0x1f1 to 0x202 + the byte at 0x201. */
	size_t header_end = 0x202 + image[0x201];
	if (header_end > 0x1f1 + sizeof(params->hdr))
		header_end = 0x1f1 + sizeof(params->hdr);
	memcpy((uint8_t *)params + 0x1f1, image + 0x1f1, header_end - 0x1f1);

	params->hdr.type_of_loader = 0xff; /* undefined boot loader */
	params->hdr.loadflags |= LOADED_HIGH | CAN_USE_HEAP;
	params->hdr.heap_end_ptr = 0xfe00;
	params->hdr.cmd_line_ptr = BOOT_CMDLINE_ADDRESS;
	params->hdr.code32_start = (uint32_t)load_address;
	params->acpi_rsdp_addr = config->acpi_rsdp; /* boot protocol 2.14 */
	/* cmdline_size (protocol 2.06+): the longest command line, without its NUL, the kernel keeps. */
	size_t cmdline_length = config->cmdline ? strlen(config->cmdline) : 0;
	if (cmdline_length > header.cmdline_size) {
		log_error("%s: the kernel command line is %zu bytes; this kernel accepts at most %u",
			  config->kernel_path, cmdline_length, header.cmdline_size);
		return -E2BIG;
	}
	ret = write_cmdline(vm, config->cmdline);
	if (ret < 0)
		return ret;

	uint64_t initrd_address, initrd_size;
	uint64_t initrd_limit = header.initrd_addr_max ? header.initrd_addr_max + 1ULL : 0x38000000;
	ret = load_initrd(vm, config->initrd_path, initrd_limit, kernel_end, &initrd_address,
			  &initrd_size);
	if (ret < 0)
		return ret;
	params->hdr.ramdisk_image = (uint32_t)initrd_address;
	params->hdr.ramdisk_size = (uint32_t)initrd_size;

	unsigned map_count = build_memory_map(vm, map);
	for (unsigned i = 0; i < map_count; i++) {
		params->e820_table[i].addr = map[i].address;
		params->e820_table[i].size = map[i].size;
		params->e820_table[i].type = map[i].type;
	}
	params->e820_entries = (uint8_t)map_count;

	if (config->framebuffer) {
		/* A VESA linear framebuffer as a boot loader would leave it (screen_info.h). */
		const struct framebuffer_info *fb = config->framebuffer;
		struct screen_info *screen = &params->screen_info;
		screen->orig_video_isVGA = VIDEO_TYPE_VLFB;
		screen->lfb_width = (uint16_t)fb->width;
		screen->lfb_height = (uint16_t)fb->height;
		screen->lfb_depth = 32;
		screen->lfb_base = (uint32_t)fb->address;
		screen->ext_lfb_base = (uint32_t)(fb->address >> 32);
		screen->lfb_size = (fb->size + 0xffff) >> 16; /* in 64 KiB units */
		screen->lfb_linelength = (uint16_t)fb->stride;
		screen->red_size = 8;
		screen->red_pos = 16;
		screen->green_size = 8;
		screen->green_pos = 8;
		screen->blue_size = 8;
		screen->blue_pos = 0;
		screen->rsvd_size = 8;
		screen->rsvd_pos = 24;
		screen->capabilities = VIDEO_CAPABILITY_SKIP_QUIRKS |
				       (fb->address >> 32 ? VIDEO_CAPABILITY_64BIT_BASE : 0);
	}

	ret = setup_long_mode(vm);
	if (ret < 0)
		return ret;
	memset(&vm->boot_regs, 0, sizeof(vm->boot_regs));
	vm->boot_regs.rip = load_address + 0x200;
	vm->boot_regs.rsi = BOOT_PARAMS_ADDRESS;
	vm->boot_regs.rflags = 0x2;
	vm->boot_entry = vm->boot_regs.rip;
	return 0;
}

int x86_load_kernel(struct vm *vm, const struct boot_config *config)
{
	uint8_t *image = NULL;
	size_t size = 0;
	int ret = read_whole_file(config->kernel_path, &image, &size);

	if (ret < 0)
		return ret;
	if (size >= 4 && memcmp(image, ELFMAG, SELFMAG) == 0)
		ret = load_pvh_elf(vm, config, image, size);
	else
		ret = load_bzimage(vm, config, image, size);
	free(image);
	return ret;
}

/* Intel MultiProcessor Specification 1.4, chapter 4. */
struct mp_floating_pointer {
	char signature[4];     /* "_MP_" */
	uint32_t config_table; /* physical address of the configuration table */
	uint8_t length;        /* in 16-byte units: 1 */
	uint8_t revision;      /* 4 */
	uint8_t checksum;
	uint8_t features[5];   /* all zero: a configuration table is present */
} __attribute__((packed));

struct mp_config_header {
	char signature[4];     /* "PCMP" */
	uint16_t length;       /* base table length including this header */
	uint8_t revision;
	uint8_t checksum;
	char oem[8];
	char product[12];
	uint32_t oem_table;
	uint16_t oem_table_size;
	uint16_t entry_count;
	uint32_t local_apic;   /* 0xfee00000 */
	uint16_t extended_length;
	uint8_t extended_checksum;
	uint8_t reserved;
} __attribute__((packed));

struct mp_processor_entry {
	uint8_t type;          /* 0 */
	uint8_t local_apic_id;
	uint8_t local_apic_version;
	uint8_t flags;         /* bit 0 enabled, bit 1 bootstrap processor */
	uint32_t signature;    /* CPUID family/model/stepping */
	uint32_t feature_flags;
	uint32_t reserved[2];
} __attribute__((packed));

struct mp_bus_entry {
	uint8_t type;          /* 1 */
	uint8_t bus_id;
	char bus_type[6];      /* "ISA   " */
} __attribute__((packed));

struct mp_ioapic_entry {
	uint8_t type;          /* 2 */
	uint8_t apic_id;
	uint8_t version;
	uint8_t flags;         /* bit 0 usable */
	uint32_t address;
} __attribute__((packed));

struct mp_interrupt_entry {
	uint8_t type;          /* 3 I/O interrupt, 4 local interrupt */
	uint8_t interrupt_type; /* 0 INT, 1 NMI, 3 ExtINT */
	uint16_t flags;        /* polarity/trigger: 0 conforms to the bus */
	uint8_t source_bus;
	uint8_t source_irq;
	uint8_t destination_apic; /* 0xff: all local APICs */
	uint8_t destination_pin;
} __attribute__((packed));

static uint8_t mp_checksum(const uint8_t *bytes, size_t length)
{
	uint8_t sum = 0;

	for (size_t i = 0; i < length; i++)
		sum = (uint8_t)(sum + bytes[i]);
	return (uint8_t)(0 - sum);
}

int x86_write_mp_table(struct vm *vm)
{
	uint8_t *base = guest_memory_pointer(&vm->memory, BOOT_MP_TABLE_ADDRESS, 4096);
	struct mp_floating_pointer *pointer = (struct mp_floating_pointer *)base;
	struct mp_config_header *header = (struct mp_config_header *)(base + 16);
	uint8_t *cursor = (uint8_t *)(header + 1);
	uint16_t entries = 0;
	uint8_t ioapic_id = (uint8_t)vm->vcpu_count;

	if (!base)
		return -ERANGE;
	memset(base, 0, 4096);
	for (unsigned i = 0; i < vm->vcpu_count; i++) {
		struct mp_processor_entry cpu = {
			.type = 0,
			.local_apic_id = (uint8_t)i,
			.local_apic_version = 0x14,
			.flags = (uint8_t)(1 | (i == 0 ? 2 : 0)),
			.signature = 0x600,
			.feature_flags = 0x201, /* FPU, APIC */
		};
		memcpy(cursor, &cpu, sizeof(cpu));
		cursor += sizeof(cpu);
		entries++;
	}
	struct mp_bus_entry bus = { .type = 1, .bus_id = 0, .bus_type = { 'I', 'S', 'A', ' ', ' ', ' ' } };
	memcpy(cursor, &bus, sizeof(bus));
	cursor += sizeof(bus);
	entries++;
	struct mp_ioapic_entry ioapic = { .type = 2, .apic_id = ioapic_id, .version = 0x11, .flags = 1,
					  .address = 0xfec00000 };
	memcpy(cursor, &ioapic, sizeof(ioapic));
	cursor += sizeof(ioapic);
	entries++;
	/* ISA IRQ n arrives on IOAPIC pin n, as KVM's default GSI routing wires it. */
	for (uint8_t irq = 0; irq < 16; irq++) {
		if (irq == 2)
			continue;
		struct mp_interrupt_entry entry = { .type = 3, .interrupt_type = 0, .source_bus = 0,
						    .source_irq = irq, .destination_apic = ioapic_id,
						    .destination_pin = irq };
		memcpy(cursor, &entry, sizeof(entry));
		cursor += sizeof(entry);
		entries++;
	}
	struct mp_interrupt_entry lint0 = { .type = 4, .interrupt_type = 3, .destination_apic = 0xff,
					    .destination_pin = 0 };
	struct mp_interrupt_entry lint1 = { .type = 4, .interrupt_type = 1, .destination_apic = 0xff,
					    .destination_pin = 1 };
	memcpy(cursor, &lint0, sizeof(lint0));
	cursor += sizeof(lint0);
	memcpy(cursor, &lint1, sizeof(lint1));
	cursor += sizeof(lint1);
	entries += 2;

	memcpy(header->signature, "PCMP", 4);
	header->length = (uint16_t)(cursor - (uint8_t *)header);
	header->revision = 4;
	memcpy(header->oem, "MVM     ", 8);
	memcpy(header->product, "MICROVM     ", 12);
	header->entry_count = entries;
	header->local_apic = 0xfee00000;
	header->checksum = mp_checksum((const uint8_t *)header, header->length);

	memcpy(pointer->signature, "_MP_", 4);
	pointer->config_table = BOOT_MP_TABLE_ADDRESS + 16;
	pointer->length = 1;
	pointer->revision = 4;
	pointer->checksum = mp_checksum((const uint8_t *)pointer, sizeof(*pointer));
	return 0;
}

#define CPUID_1_ECX_TSC_DEADLINE_TIMER (1U << 24)

void x86_complete_cpuid(struct kvm_cpuid2 *cpuid, const struct cpuid_host_features *host)
{
	for (uint32_t i = 0; i < cpuid->nent; i++) {
		struct kvm_cpuid_entry2 *entry = &cpuid->entries[i];
		if (entry->function == 1 && host->tsc_deadline_timer)
			entry->ecx |= CPUID_1_ECX_TSC_DEADLINE_TIMER;
	}
}

void x86_adjust_cpuid(struct kvm_cpuid2 *cpuid, unsigned vcpu_index, unsigned vcpu_count,
		      const struct cpuid_mask *masks, unsigned mask_count)
{
	for (uint32_t i = 0; i < cpuid->nent; i++) {
		struct kvm_cpuid_entry2 *entry = &cpuid->entries[i];
		uint32_t *registers[4] = { &entry->eax, &entry->ebx, &entry->ecx, &entry->edx };

		switch (entry->function) {
		case 1:
			/* Initial APIC ID and logical processor count. */
			entry->ebx = (entry->ebx & 0x0000ffff) | (vcpu_index << 24) |
				     ((vcpu_count & 0xff) << 16);
			entry->ecx |= 1U << 31; /* running under a hypervisor */
			if (vcpu_count > 1)
				entry->edx |= 1U << 28; /* HTT: the count above is valid */
			break;
		case 0xb:
		case 0x1f:
			entry->edx = vcpu_index; /* x2APIC ID */
			break;
		default:
			break;
		}
		for (unsigned m = 0; m < mask_count; m++) {
			const struct cpuid_mask *mask = &masks[m];
			if (mask->function == entry->function &&
			    (mask->any_index || mask->index == entry->index))
				*registers[mask->reg] &= ~mask->clear_bits;
		}
	}
}

int x86_setup_vcpu_cpuid(struct vm *vm, struct vcpu *vcpu)
{
	size_t bytes = sizeof(*vm->cpuid) + vm->cpuid->nent * sizeof(struct kvm_cpuid_entry2);
	struct kvm_cpuid2 *cpuid = malloc(bytes);
	int ret = 0;

	if (!cpuid)
		return -ENOMEM;
	memcpy(cpuid, vm->cpuid, bytes);
	x86_adjust_cpuid(cpuid, vcpu->index, vm->vcpu_count, vm->cpuid_masks, vm->cpuid_mask_count);
	if (ioctl(vcpu->fd, KVM_SET_CPUID2, cpuid) < 0)
		ret = -errno;
	free(cpuid);
	return ret;
}
