package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/kiln-project/kiln/spec"
)

func newValidate() *cobra.Command {
	var file string
	cmd := &cobra.Command{
		Use:   "validate -f kiln.yaml",
		Short: "Check a spec without building it",
		Long: `Validate reads a kiln.yaml strictly: an unknown key, a wrong type or a
bad value is reported with file:line:col, the field path and the fix.
It does not fetch anything.`,
		Example: "  kiln validate -f examples/minimal/kiln.yaml",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := spec.Load(file)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: ok (name %q)\n", file, s.Name)
			return nil
		},
	}
	cmd.Flags().StringVarP(&file, "file", "f", "kiln.yaml", "spec file")
	return cmd
}
