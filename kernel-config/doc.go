// Package kernelconfig holds what kiln knows about kernel configuration:
// for now the named module sets ("virtio", "nic", ...) that kernel.modules
// may list, and their expansion against a kernel's module tree.
package kernelconfig
