/*
 * PVH entry for the test guests. The monitor (or any PVH loader) enters
 * pvh_start in 32-bit protected mode with paging off and %ebx pointing at
 * the hvm_start_info. We identity-map what the guests use with 2 MiB pages,
 * switch to long mode and call guest_main(start_info).
 */
	.section .note.pvh, "a", @note
	.balign 4
	.long 4                 /* name size: "Xen\0" */
	.long 4                 /* descriptor size */
	.long 18                /* XEN_ELFNOTE_PHYS32_ENTRY */
	.asciz "Xen"
	.long pvh_start

	.section .text.entry, "ax"
	.code32
	.globl pvh_start
pvh_start:
	cli
	mov %ebx, %edi
	mov $boot_stack_top, %esp
	call build_page_tables
	mov $page_tables, %eax
	mov %eax, %cr3
	mov %cr4, %eax
	or $0x20, %eax              /* CR4.PAE */
	mov %eax, %cr4
	mov $0xc0000080, %ecx       /* EFER */
	rdmsr
	or $0x100, %eax             /* EFER.LME */
	wrmsr
	lgdt gdt_pointer
	mov %cr0, %eax
	or $0x80000001, %eax        /* CR0.PG | CR0.PE */
	mov %eax, %cr0
	ljmp $0x08, $long_mode

	/*
	 * Only the ranges the test guests use get 2 MiB pages: every page-table
	 * write is expensive under shadow paging, and this runs before the first
	 * serial byte. PD0 maps 0-64 MiB (code, data, stacks, scratch RAM);
	 * PD3 maps the virtio-mmio windows (0xd0000000), the framebuffer
	 * (0xe0000000, 16 MiB) and the IOAPIC and local APIC (0xfec00000).
	 */
	.globl build_page_tables
build_page_tables:
	mov $page_tables, %eax
	lea 0x1003(%eax), %ecx      /* PML4[0] -> PDPT, present + writable */
	mov %ecx, (%eax)
	lea 0x2003(%eax), %ecx      /* PDPT[0] -> PD0 */
	mov %ecx, 0x1000(%eax)
	lea 0x3003(%eax), %ecx      /* PDPT[3] -> PD3 */
	mov %ecx, 0x1018(%eax)
	lea 0x2000(%eax), %edx
	mov $0x83, %esi             /* present, writable, 2 MiB page */
	xor %ecx, %ecx
1:	mov %esi, (%edx,%ecx,8)
	add $0x200000, %esi
	inc %ecx
	cmp $32, %ecx
	jne 1b
	lea 0x3000(%eax), %edx
	movl $0xd0000083, 128*8(%edx)
	mov $0xe0000083, %esi
	mov $256, %ecx
2:	mov %esi, (%edx,%ecx,8)
	add $0x200000, %esi
	inc %ecx
	cmp $264, %ecx
	jne 2b
	movl $0xfec00083, 502*8(%edx)
	movl $0xfee00083, 503*8(%edx)
	ret

	.code64
long_mode:
	mov $0x10, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	mov %ax, %fs
	mov %ax, %gs
	mov $boot_stack_top, %rsp
	mov %edi, %edi
	call guest_main
2:	cli
	hlt
	jmp 2b

	.section .rodata
	.balign 8
	.globl gdt
gdt:
	.quad 0
	.quad 0x00af9a000000ffff    /* 0x08: 64-bit code */
	.quad 0x00cf92000000ffff    /* 0x10: data */
	.quad 0x00cf9a000000ffff    /* 0x18: 32-bit code */
gdt_end:
gdt_pointer:
	.word gdt_end - gdt - 1
	.long gdt

	.section .bss
	.balign 4096
	.globl page_tables
page_tables:
	.skip 0x4000
	.balign 16
	.skip 16384
boot_stack_top:
