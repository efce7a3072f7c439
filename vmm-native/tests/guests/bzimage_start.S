/*
 * Entry of the test guest booted through the Linux 64-bit boot protocol:
 * the monitor enters at load address + 0x200 in long mode, with its own
 * identity map and %rsi pointing at boot_params.
 */
	.section .text.entry, "ax"
	.code32
	/* 0x000: the 32-bit entry a loader would use; this guest has none. */
1:	cli
	hlt
	jmp 1b
	.org 0x200
	.code64
	.globl startup_64
startup_64:
	cli
	mov $boot_stack_top, %rsp
	mov %rsi, %rdi
	call guest_main
2:	cli
	hlt
	jmp 2b

	.section .bss
	.balign 16
	.skip 16384
boot_stack_top:
