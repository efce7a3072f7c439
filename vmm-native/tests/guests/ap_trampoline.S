/*
 * Application processor start-up. A SIPI with vector 0x08 starts an AP in
 * real mode at 0x8000; the linker places this section there. It climbs to
 * long mode on the boot processor's page tables and calls ap_main(index).
 */
	.section .trampoline, "ax"
	.code16
	.globl ap_trampoline
ap_trampoline:
	cli
	xor %ax, %ax
	mov %ax, %ds
	lgdtl ap_gdt_pointer
	mov %cr0, %eax
	or $1, %eax
	mov %eax, %cr0
	ljmpl $0x18, $ap_protected

	.code32
ap_protected:
	mov $0x10, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	mov $page_tables, %eax
	mov %eax, %cr3
	mov %cr4, %eax
	or $0x20, %eax
	mov %eax, %cr4
	mov $0xc0000080, %ecx
	rdmsr
	or $0x100, %eax
	wrmsr
	mov %cr0, %eax
	or $0x80000001, %eax
	mov %eax, %cr0
	ljmp $0x08, $ap_long_mode

	.code64
ap_long_mode:
	mov $0x10, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	mov $1, %eax
	lock xadd %eax, ap_next_index
	mov %eax, %edi
	inc %eax
	shl $14, %rax               /* 16 KiB stack per AP */
	add $ap_stacks, %rax
	mov %rax, %rsp
	call ap_main
1:	cli
	hlt
	jmp 1b

	.balign 8
ap_gdt:
	.quad 0
	.quad 0x00af9a000000ffff
	.quad 0x00cf92000000ffff
	.quad 0x00cf9a000000ffff
ap_gdt_end:
ap_gdt_pointer:
	.word ap_gdt_end - ap_gdt - 1
	.long ap_gdt

	.balign 4
	.globl ap_next_index
ap_next_index:
	.long 0
