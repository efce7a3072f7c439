package io.multiplicity.agent.vm;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What a VM image needs, from the {@code vm.json} at the root of its dataset (beside its
 * {@code kernel}, {@code initrd} and {@code disk.raw}).
 *
 * @param boot          {@code kernel} (direct kernel boot of {@code kernel} and {@code initrd}) or
 *                      {@code firmware} (BIOS/UEFI from {@code disk.raw})
 * @param graphics      the guest needs a framebuffer
 * @param stockKernel   a general-purpose distribution kernel: it needs the CPU features a nested
 *                      KVM may lack, so such a host runs it under emulation
 * @param cmdline       kernel command line (the agent adds the network and hostname parameters)
 * @param driver        hypervisor the image must run on ({@code mvm} or {@code qemu}), or null
 *                      for any that can
 * @param powersOff     the guest powers off when its power button is pressed (ACPI); a stop of
 *                      a guest that does not is forced at once instead of after the timeout
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record VmImage(String boot, boolean graphics, boolean stockKernel, String cmdline, String driver,
        boolean powersOff) {

    public static final String MANIFEST = "vm.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    public boolean directKernelBoot() {
        return "kernel".equals(boot);
    }

    public static boolean isVmImage(Path root) {
        return Files.isRegularFile(root.resolve(MANIFEST));
    }

    public static VmImage read(Path root) {
        try {
            VmImage image = JSON.readValue(root.resolve(MANIFEST).toFile(), VmImage.class);
            if (!"kernel".equals(image.boot()) && !"firmware".equals(image.boot())) {
                throw new IllegalArgumentException("image boot must be kernel or firmware: " + image.boot());
            }
            return image;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public void write(Path root) {
        try {
            JSON.writerWithDefaultPrettyPrinter().writeValue(root.resolve(MANIFEST).toFile(), this);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
