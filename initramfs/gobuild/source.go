package gobuild

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/mod/modfile"
)

// KilnModule is the module path that FindSource looks for.
const KilnModule = "github.com/kiln-project/kiln"

// SourceEnv names the environment variable that points at a Kiln checkout.
const SourceEnv = "KILN_SRC"

// FindSource locates the root of a Kiln checkout: hint if non-empty, else
// $KILN_SRC, else the nearest Kiln module above the working directory, else
// the nearest one above the running executable. Kiln builds its agent from
// source, so it needs one.
func FindSource(hint string) (string, error) {
	wd, _ := os.Getwd()
	exe, err := os.Executable()
	if err == nil {
		exe, err = filepath.EvalSymlinks(exe)
	}
	if err != nil {
		exe = ""
	}
	return findSource(hint, os.Getenv(SourceEnv), wd, exe)
}

func findSource(hint, env, wd, exe string) (string, error) {
	// An explicit location that is wrong is an error rather than a reason
	// to fall back: the user meant that checkout.
	if hint != "" {
		return explicitRoot(hint, "source directory")
	}
	if env != "" {
		return explicitRoot(env, SourceEnv)
	}
	if wd != "" {
		if root, ok := walkUp(wd); ok {
			return root, nil
		}
	}
	if exe != "" {
		if root, ok := walkUp(filepath.Dir(exe)); ok {
			return root, nil
		}
	}
	return "", fmt.Errorf("find Kiln source: no go.mod for module %s above %q or above the kiln executable; run kiln from a Kiln checkout or set %s to one", KilnModule, wd, SourceEnv)
}

func explicitRoot(dir, what string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("find Kiln source: %s %q: %w", what, dir, err)
	}
	if err := isKilnRoot(abs); err != nil {
		return "", fmt.Errorf("find Kiln source: %s %q is not a Kiln checkout (%w); point it at the directory holding Kiln's go.mod", what, dir, err)
	}
	return abs, nil
}

func walkUp(dir string) (string, bool) {
	dir = filepath.Clean(dir)
	for {
		if isKilnRoot(dir) == nil {
			return dir, true
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
}

func isKilnRoot(dir string) error {
	mod, err := modulePath(dir)
	if err != nil {
		return err
	}
	if mod != KilnModule {
		return fmt.Errorf("go.mod declares module %q, want %q", mod, KilnModule)
	}
	return nil
}

// modulePath reads the module line of dir/go.mod.
func modulePath(dir string) (string, error) {
	data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		return "", fmt.Errorf("read go.mod: %w", err)
	}
	mod := modfile.ModulePath(data)
	if mod == "" {
		return "", errors.New("go.mod has no module line")
	}
	return mod, nil
}
