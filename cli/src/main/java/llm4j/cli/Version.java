package llm4j.cli;

import picocli.CommandLine;

/** {@code llm4j --version}: the build version and the runtime it runs on. */
public final class Version implements CommandLine.IVersionProvider {

    @Override
    public String[] getVersion() {
        String version = Version.class.getPackage().getImplementationVersion();
        return new String[] {
            "llm4j " + (version == null ? "0.1.0-SNAPSHOT" : version),
            "Java " + Runtime.version() + " (" + System.getProperty("java.vm.name") + "), "
                    + llm4j.quant.Vectors.bits() + "-bit vectors, " + Runtime.getRuntime().availableProcessors() + " cores"
        };
    }
}
