using Akka.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using AkkaLogLevel = Akka.Event.LogLevel;

namespace SegaLearn.Hosting;

/// <summary>
/// The generic host every SegaLearn actor system runs in: configuration from <c>appsettings.json</c> and
/// <c>SegaLearn__*</c> environment variables, and logs on stderr (stdout carries the command's own output) at
/// warning level unless <c>SegaLearn:LogLevel</c> says otherwise.
/// </summary>
public static class SegaLearnHost
{
    /// <summary>The actor system's name; every node of a cluster uses it.</summary>
    public const string SystemName = "segalearn";

    /// <summary>
    /// The address of the node at <paramref name="hostAndPort"/>, for seed nodes and actor paths: remoting names its TLS
    /// transport <c>akka.ssl.tcp</c>, so a node with <paramref name="tls"/> is reached only under that scheme.
    /// </summary>
    public static string NodeAddress(string hostAndPort, bool tls) => $"{(tls ? "akka.ssl.tcp" : "akka.tcp")}://{SystemName}@{hostAndPort}";

    public static HostApplicationBuilder CreateBuilder()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            ContentRootPath = AppContext.BaseDirectory,
            EnvironmentName = Environments.Production,
        });
        builder.Configuration.AddJsonFile(Path.Combine(Directory.GetCurrentDirectory(), "appsettings.json"), optional: true);
        builder.Logging.ClearProviders();
        builder.Logging.AddConsole(options => options.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Logging.AddSimpleConsole(options => options.SingleLine = true);
        builder.Logging.SetMinimumLevel(LogLevelOf(builder.Configuration));
        return builder;
    }

    /// <summary>Routes Akka's logging into the host's loggers at the configured level.</summary>
    public static AkkaConfigurationBuilder WithSegaLearnLogging(this AkkaConfigurationBuilder builder, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configuration);
        var level = LogLevelOf(configuration) switch
        {
            LogLevel.Trace or LogLevel.Debug => AkkaLogLevel.DebugLevel,
            LogLevel.Information => AkkaLogLevel.InfoLevel,
            LogLevel.Warning => AkkaLogLevel.WarningLevel,
            _ => AkkaLogLevel.ErrorLevel,
        };
        return builder.ConfigureLoggers(loggers =>
        {
            loggers.LogLevel = level;
            loggers.ClearLoggers();
            loggers.AddLoggerFactory();
        });
    }

    /// <summary>Binds a settings record from <c>SegaLearn:{section}</c>, keeping the record's defaults for what is not set.</summary>
    public static T Bind<T>(IConfiguration configuration, string section, T defaults)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(configuration);
        configuration.GetSection($"SegaLearn:{section}").Bind(defaults);
        return defaults;
    }

    private static LogLevel LogLevelOf(IConfiguration configuration) =>
        Enum.TryParse<LogLevel>(configuration["SegaLearn:LogLevel"], ignoreCase: true, out var level) ? level : LogLevel.Warning;
}
