package nodecfg

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

// bootSector builds a FAT boot sector by hand with the given label.
func bootSector(label string, fat32 bool) []byte {
	bs := make([]byte, sectorSize)
	sig, lab, typ, name := fat16Sig, fat16Label, fat16Type, "FAT16   "
	if fat32 {
		sig, lab, typ, name = fat32Sig, fat32Label, fat32Type, "FAT32   "
	}
	bs[sig] = extBootSig
	copy(bs[lab:lab+labelLen], label+"           ")
	copy(bs[typ:], name)
	bs[510], bs[511] = 0x55, 0xAA
	return bs
}

func TestFatLabelSectors(t *testing.T) {
	edit := func(bs []byte, f func([]byte)) []byte { f(bs); return bs }
	tests := []struct {
		name  string
		bs    []byte
		label string
		ok    bool
	}{
		{"fat16", bootSector("KILNCFG", false), "KILNCFG", true},
		{"fat32", bootSector("KILNCFG", true), "KILNCFG", true},
		{"full-length label", bootSector("ABCDEFGHIJK", true), "ABCDEFGHIJK", true},
		{"label with inner space", bootSector("MY CFG", false), "MY CFG", true},
		{"no 0x55AA", edit(bootSector("KILNCFG", false), func(b []byte) { b[511] = 0 }), "", false},
		{"no extended boot signature", edit(bootSector("KILNCFG", false), func(b []byte) { b[fat16Sig] = 0x28 }), "", false},
		{"not FAT", edit(bootSector("KILNCFG", false), func(b []byte) { copy(b[fat16Type:], "NTFS    ") }), "", false},
		{"MBR without a filesystem", edit(make([]byte, sectorSize), func(b []byte) { b[510], b[511] = 0x55, 0xAA }), "", false},
		{"short read", bootSector("KILNCFG", false)[:100], "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			label, ok := fatLabel(tt.bs)
			if label != tt.label || ok != tt.ok {
				t.Errorf("fatLabel = %q, %v; want %q, %v", label, ok, tt.label, tt.ok)
			}
		})
	}
}

// needTool fails the test, saying which package to install, when a
// reference tool is missing.
func needTool(t *testing.T, tool, pkg string) {
	t.Helper()
	if _, err := exec.LookPath(tool); err != nil {
		t.Fatalf("%s not found: apt-get install -y %s", tool, pkg)
	}
}

// mkfsVFAT formats a sparse image file with the reference tool and
// copies files onto it with mtools, without mounting anything.
func mkfsVFAT(t *testing.T, path string, sizeMiB, fatBits int, label string, files map[string]string) {
	t.Helper()
	needTool(t, "mkfs.vfat", "dosfstools")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(int64(sizeMiB) << 20); err != nil {
		t.Fatal(err)
	}
	f.Close()
	args := []string{"-F", strconv.Itoa(fatBits)}
	if label != "" {
		args = append(args, "-n", label)
	}
	if out, err := exec.Command("mkfs.vfat", append(args, path)...).CombinedOutput(); err != nil {
		t.Fatalf("mkfs.vfat %v: %v\n%s", args, err, out)
	}
	for name, content := range files {
		needTool(t, "mcopy", "mtools")
		src := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(src, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command("mcopy", "-i", path, src, "::"+name).CombinedOutput(); err != nil {
			t.Fatalf("mcopy %s: %v\n%s", name, err, out)
		}
	}
}

// Boot sectors as mkfs.vfat writes them, for each FAT width.
func TestFatLabelMkfs(t *testing.T) {
	tests := []struct {
		name          string
		sizeMiB, bits int
		label, want   string
	}{
		{"fat12", 2, 12, "KILNCFG", "KILNCFG"},
		{"fat16", 16, 16, "KILNCFG", "KILNCFG"},
		{"fat32", 64, 32, "KILNCFG", "KILNCFG"},
		{"fat32 other label", 64, 32, "DATA", "DATA"},
		{"no label given", 2, 12, "", "NO NAME"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img := filepath.Join(t.TempDir(), "fat.img")
			mkfsVFAT(t, img, tt.sizeMiB, tt.bits, tt.label, nil)
			bs, err := readSector(img)
			if err != nil {
				t.Fatal(err)
			}
			if got, ok := fatLabel(bs); !ok || got != tt.want {
				t.Errorf("fatLabel = %q, %v; want %q, true", got, ok, tt.want)
			}
		})
	}
}

// fakeBlock adds a block device to a fake sysfs (with its size in
// sectors) and, when bs is not nil, its node under dev.
func fakeBlock(t *testing.T, sys, dev, name string, sectors int, bs []byte) {
	t.Helper()
	dir := filepath.Join(sys, "class", "block", name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "size"), []byte(strconv.Itoa(sectors)+"\n"), 0o444); err != nil {
		t.Fatal(err)
	}
	if bs != nil {
		if err := os.WriteFile(filepath.Join(dev, name), bs, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestFindLabel(t *testing.T) {
	mbr := make([]byte, sectorSize)
	mbr[510], mbr[511] = 0x55, 0xAA
	type block struct {
		name    string
		sectors int
		bs      []byte
	}
	tests := []struct {
		name   string
		blocks []block
		label  string
		want   string
	}{
		{"partition among others", []block{
			{"loop0", 0, nil},
			{"sda", 2048, mbr},
			{"sda1", 1024, bootSector("EFI", true)},
			{"sdb", 0, bootSector("KILNCFG", false)}, // size 0: not read
			{"sdc", 64, bootSector("KILNCFG", true)},
			{"sdd", 64, bootSector("KILNCFG", false)},
			{"sr0", 10, nil}, // no device node: passed over
		}, Label, "sdc"},
		{"whole disk", []block{{"vda", 64, bootSector("KILNCFG", false)}}, Label, "vda"},
		{"label case ignored", []block{{"vda", 64, bootSector("kilncfg", false)}}, Label, "vda"},
		{"other label", []block{{"vda", 64, bootSector("KILNCFG", false)}}, "OTHER", ""},
		{"truncated device", []block{{"vda", 64, bootSector("KILNCFG", false)[:200]}}, Label, ""},
		{"none", nil, Label, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sys, dev := t.TempDir(), t.TempDir()
			if err := os.MkdirAll(filepath.Join(sys, "class", "block"), 0o755); err != nil {
				t.Fatal(err)
			}
			for _, b := range tt.blocks {
				fakeBlock(t, sys, dev, b.name, b.sectors, b.bs)
			}
			got, err := findLabel(sys, dev, tt.label)
			if err != nil {
				t.Fatal(err)
			}
			want := ""
			if tt.want != "" {
				want = filepath.Join(dev, tt.want)
			}
			if got != want {
				t.Errorf("findLabel = %q, want %q", got, want)
			}
		})
	}
	// A system without block devices has no sysfs class for them.
	if got, err := findLabel(t.TempDir(), t.TempDir(), Label); got != "" || err != nil {
		t.Errorf("findLabel without class/block = %q, %v; want \"\", nil", got, err)
	}
}
