package qemu

// probeBIOS returns a 64 KiB firmware image that proves a CPU accelerator
// can run a guest the way a kernel needs it: it enters protected mode,
// turns on paging and long mode, and only then writes 1 to the
// isa-debug-exit port, so QEMU exits with status (1<<1)|1 = 3.
//
// A real-mode-only probe is not enough: on this kind of host (nested
// virt) KVM runs real-mode code fine, SeaBIOS included, and hangs the
// moment the guest sets CR0.PE, which is where a Linux boot hangs too.
//
// QEMU maps the image at 0xFFFF0000 and aliases it at 0xF0000; the code
// uses the low alias, so offsets below are fixed (source: listing).
//
//	0xFF00 .code16: cli; lgdtl %cs:gdtr; cr0.PE=1; ljmpl $0x08,$pm32
//	       .code32 pm32: ds=es=ss=0x10; PML4[0]@0x1000 -> PDPT@0x2000
//	               -> PD@0x3000, PD[0] = 2 MiB page at 0 (0x83);
//	               cr4.PAE=1; cr3=0x1000; EFER.LME=1; cr0.PG=1;
//	               ljmp $0x18,$lm64
//	       .code64 lm64: movb $1,%al; outb %al,$0xf4; hlt
//	0xFF98 gdt: null, code32, data, code64; gdtr (limit 31, base 0xFFF98)
//	0xFFF0 reset vector: jmp 0xFF00
func probeBIOS() []byte {
	const size = 0x10000
	b := make([]byte, size)
	for i := range b {
		b[i] = 0xF4 // hlt: anything stray stops instead of running on
	}
	copy(b[0xFF00:], probeCode)
	copy(b[0xFFF0:], []byte{0xE9, 0x0D, 0xFF}) // jmp rel16 -> 0xFF00
	return b
}

// probeCode is the assembled listing above, placed at offset 0xFF00.
const probeCode = "" +
	"\xfa\x2e\x66\x0f\x01\x16\xb8\xff\x0f\x20\xc0\x66\x83\xc8\x01\x0f" +
	"\x22\xc0\x66\xea\x1a\xff\x0f\x00\x08\x00\x66\xb8\x10\x00\x8e\xd8" +
	"\x8e\xc0\x8e\xd0\xc7\x05\x00\x10\x00\x00\x03\x20\x00\x00\xc7\x05" +
	"\x04\x10\x00\x00\x00\x00\x00\x00\xc7\x05\x00\x20\x00\x00\x03\x30" +
	"\x00\x00\xc7\x05\x04\x20\x00\x00\x00\x00\x00\x00\xc7\x05\x00\x30" +
	"\x00\x00\x83\x00\x00\x00\xc7\x05\x04\x30\x00\x00\x00\x00\x00\x00" +
	"\x0f\x20\xe0\x83\xc8\x20\x0f\x22\xe0\xb8\x00\x10\x00\x00\x0f\x22" +
	"\xd8\xb9\x80\x00\x00\xc0\x0f\x32\x0d\x00\x01\x00\x00\x0f\x30\x0f" +
	"\x20\xc0\x0d\x00\x00\x00\x80\x0f\x22\xc0\xea\x91\xff\x0f\x00\x18" +
	"\x00\xb0\x01\xe6\xf4\xf4\x66\x90\x00\x00\x00\x00\x00\x00\x00\x00" +
	"\xff\xff\x00\x00\x00\x9a\xcf\x00\xff\xff\x00\x00\x00\x92\xcf\x00" +
	"\xff\xff\x00\x00\x00\x9a\xaf\x00\x1f\x00\x98\xff\x0f\x00"
