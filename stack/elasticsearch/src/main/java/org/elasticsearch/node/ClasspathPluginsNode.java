package org.elasticsearch.node;

import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;
import org.elasticsearch.plugins.MockPluginsService;
import org.elasticsearch.plugins.Plugin;
import org.elasticsearch.plugins.PluginsLoader;
import org.elasticsearch.plugins.PluginsService;

import java.util.Collection;
import java.util.Map;

/**
 * A real Elasticsearch node whose plugins are classes on the classpath rather than folders under
 * {@code plugins/}. It lives in this package because the constructor it needs is package-private;
 * it avoids the test framework's {@code MockNode} because that one initialises the test bootstrap,
 * which refuses to run as root and installs test-only services.
 */
public final class ClasspathPluginsNode extends Node {

    public ClasspathPluginsNode(Settings settings, Collection<Class<? extends Plugin>> plugins) {
        this(InternalSettingsPreparer.prepareEnvironment(settings, Map.of(), null, () -> "wirestream-es"), plugins);
    }

    private ClasspathPluginsNode(Environment environment, Collection<Class<? extends Plugin>> plugins) {
        super(NodeConstruction.prepareConstruction(environment, null, new NodeServiceProvider() {
            @Override
            PluginsService newPluginService(Environment env, PluginsLoader loader) {
                return new MockPluginsService(env.settings(), env, plugins);
            }
        }, true));
    }
}
