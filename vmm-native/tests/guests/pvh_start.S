/*
 * PVH entry for the test guests. The monitor (or any PVH loader) enters
 * pvh_start in 32-bit protected mode with paging off and %ebx pointing at
 * the hvm_start_info. We build an identity map of the low 4 GiB with 2 MiB
 * pages, switch to long mode and call guest_main(start_info).
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

	.globl build_page_tables
build_page_tables:
	mov $page_tables, %eax
	lea 0x1003(%eax), %ecx      /* PML4[0] -> PDPT, present + writable */
	mov %ecx, (%eax)
	lea 0x2003(%eax), %ecx      /* PDPT[0..3] -> four page directories */
	mov %ecx, 0x1000(%eax)
	add $0x1000, %ecx
	mov %ecx, 0x1008(%eax)
	add $0x1000, %ecx
	mov %ecx, 0x1010(%eax)
	add $0x1000, %ecx
	mov %ecx, 0x1018(%eax)
	lea 0x2000(%eax), %edx
	xor %ecx, %ecx
1:	mov %ecx, %esi
	shl $21, %esi
	or $0x83, %esi              /* present, writable, 2 MiB page */
	mov %esi, (%edx,%ecx,8)
	movl $0, 4(%edx,%ecx,8)
	inc %ecx
	cmp $2048, %ecx
	jne 1b
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
	.skip 0x6000
	.balign 16
	.skip 16384
boot_stack_top:
