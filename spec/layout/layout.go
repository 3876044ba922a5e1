// Package layout is the contract between the builder and the agent about
// the image: where things are and which modules the agent loads by name.
// Both sides import it; neither imports the other.
package layout

// Paths inside the image, absolute as the agent sees them. The builder
// writes them into the cpio without the leading slash (see Rel).
const (
	Init         = "/init"
	Spec         = "/etc/kiln/kiln.yaml"
	ModprobeDir  = "/etc/modprobe.d"
	ModprobeConf = ModprobeDir + "/kiln.conf"
	ModulesDir   = "/lib/modules"
	Bbin         = "/bbin"
	Shell        = Bbin + "/gosh"
	// Path is PATH for the agent and what it starts.
	Path = Bbin + ":/bin:/usr/bin:/sbin:/usr/sbin"
)

// Rel is p as a cpio entry name.
func Rel(p string) string { return p[1:] }

// NamedModules are loaded by the agent by name, because no device alias
// pulls them in: evdev gives the power button a /dev/input node; vfat and
// its code pages read the KILNCFG partition (nothing runs modprobe for
// the kernel's own module requests). The builder always packs them.
func NamedModules() []string { return []string{"evdev", "vfat", "nls_cp437", "nls_ascii"} }

// VLANModule serves 802.1Q sub-interfaces. It has no device alias: the
// builder packs it and the agent loads it when the spec has VLANs.
const VLANModule = "8021q"
