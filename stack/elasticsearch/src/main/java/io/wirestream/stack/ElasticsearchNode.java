package io.wirestream.stack;

import org.elasticsearch.common.logging.LogConfigurator;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.node.ClasspathPluginsNode;
import org.elasticsearch.node.Node;
import org.elasticsearch.transport.netty4.Netty4Plugin;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * Starts one Elasticsearch node with the HTTP transport, bound to loopback, until the process is
 * stopped, with the plugins it needs loaded from the classpath (see {@link ClasspathPluginsNode}).
 *
 * <p>Usage: {@code ElasticsearchNode HOME HTTP_PORT}. Data and logs go under HOME.
 */
public final class ElasticsearchNode {

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: ElasticsearchNode HOME HTTP_PORT");
            System.exit(2);
        }
        Path home = Path.of(args[0]).toAbsolutePath();
        Files.createDirectories(home.resolve("data"));
        Files.createDirectories(home.resolve("logs"));
        Settings settings = Settings.builder()
            .put("path.home", home.toString())
            .put("path.data", home.resolve("data").toString())
            .put("path.logs", home.resolve("logs").toString())
            .put("cluster.name", "wirestream")
            .put("node.name", "wirestream-es")
            .put("network.host", "127.0.0.1")
            .put("http.port", args[1])
            .put("transport.port", "9300-9399")
            .put("discovery.type", "single-node")
            // A laptop disk is often fuller than a server's; don't turn indices read-only for it.
            .put("cluster.routing.allocation.disk.threshold_enabled", false)
            .build();
        LogConfigurator.configureWithoutConfig(settings);

        Node node = new ClasspathPluginsNode(settings, List.of(Netty4Plugin.class, EnglishAnalysisPlugin.class, RootEndpointPlugin.class));
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                node.close();
            } catch (Exception e) {
                e.printStackTrace();
            } finally {
                stopped.countDown();
            }
        }, "wirestream-es-shutdown"));
        node.start();
        System.out.println("wirestream: elasticsearch started on 127.0.0.1:" + args[1]);
        stopped.await();
    }
}
