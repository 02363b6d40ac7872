using System.CommandLine;
using System.Globalization;
using System.Net;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SegaLearn.Hosting;
using SegaLearn.Protocol;
using SegaLearn.Worker;

namespace SegaLearn.Cli;

/// <summary><c>segalearn worker --join HOST:PORT</c>: joins a coordinator's cluster and computes gradients until the job ends.</summary>
internal static class WorkerCommand
{
    private static readonly Option<string> Join = new("--join") { Description = "the coordinator's HOST:PORT", Required = true };
    private static readonly Option<int?> Threads = new("--threads") { Description = "threads for this worker's kernels (default: all cores)" };
    private static readonly Option<string?> Name = new("--name") { Description = "this worker's name in logs (default: the machine name)" };
    private static readonly Option<string?> PublicHost = new("--host") { Description = "host name the coordinator reaches this worker at (default: 127.0.0.1 when joining on loopback, else this machine's name)" };
    private static readonly Option<int> Port = new("--port") { Description = "this worker's remoting port (0: any free port)", DefaultValueFactory = _ => 0 };
    private static readonly Option<string?> Cpus = new("--cpus") { Description = "run this worker's threads on these CPUs only, e.g. 2 or 0,1, as batch work that never preempts another thread when it wakes (default: any CPU, normal scheduling)" };
    private static readonly Option<int> Nice = new("--nice")
    {
        Description = $"run this worker at this nice value or lower priority, 0 to {Niceness.Max}, so that a coordinator sharing its cores does each step's serial part first (0: as started)",
        DefaultValueFactory = _ => Niceness.WorkerDefault,
    };
    private static readonly Option<int> ConnectTimeout = new("--connect-timeout") { Description = "seconds to wait for the coordinator to offer a job", DefaultValueFactory = _ => 120 };

    public static Command Create()
    {
        var command = new Command("worker", "Join a coordinator and compute gradients until the job ends.")
        {
            Join, Threads, Name, PublicHost, Port, Cpus, Nice, ConnectTimeout, TlsOptions.Tls, TlsOptions.Insecure,
        };
        command.SetAction(Execute);
        return command;
    }

    private static int Execute(ParseResult parse)
    {
        var (host, port) = ParseEndpoint(parse.GetValue(Join)!, "--join");
        var threads = parse.GetValue(Threads) is { } t ? OptionParsing.Positive(t, "--threads") : (int?)null;
        var ownPort = OptionParsing.NonNegative(parse.GetValue(Port), "--port");
        var timeout = TimeSpan.FromSeconds(OptionParsing.Positive(parse.GetValue(ConnectTimeout), "--connect-timeout"));
        var loopback = ProtocolInfo.IsLoopback(host);
        var publicHost = parse.GetValue(PublicHost) ?? (loopback ? "127.0.0.1" : Dns.GetHostName());
        var nice = Niceness.Parse(parse.GetValue(Nice), "--nice");
        var cpus = parse.GetValue(Cpus) is { } cpuList ? CpuAffinity.Parse(cpuList, "--cpus") : null;
        // Before the host starts its threads, which then inherit the priority and the affinity.
        Niceness.AtLeast(nice);
        if (cpus is not null)
        {
            CpuAffinity.Pin(cpus);
        }

        var stopped = new TaskCompletionSource<WorkerStopped>(TaskCreationOptions.RunContinuationsAsynchronously);
        var builder = SegaLearnHost.CreateBuilder();
        using var tls = TlsOptions.Resolve(parse, SegaLearnHost.Bind(builder.Configuration, "Tls", new TlsSettings()), host, "--join");
        var seed = SegaLearnHost.NodeAddress($"{host}:{port}", tls is not null);
        var settings = SegaLearnHost.Bind(builder.Configuration, "Worker", new WorkerSettings
        {
            Name = parse.GetValue(Name) ?? Environment.MachineName,
            Threads = threads,
            OfferTimeout = timeout,
        });
        var node = SegaLearnHost.Bind(builder.Configuration, "Cluster", new ClusterNodeSettings
        {
            PublicHost = publicHost,
            BindHost = ClusterNodeSettings.BindHostFor(host),
            Port = ownPort,
            SeedNodes = [seed],
        });
        builder.Services.AddAkka(SegaLearnHost.SystemName, akka => akka
            .WithSegaLearnLogging(builder.Configuration)
            .WithSegaLearnCluster(node, ProtocolInfo.WorkerRole, tls)
            .AddSegaLearnWorker(settings, 1, $"{seed}/user/{ProtocolInfo.CoordinatorName}", stopped, tls));
        using var app = builder.Build();
        app.Start();
        try
        {
            Console.WriteLine($"worker {settings.Name} joining {host}:{port} ({(threads is { } count ? $"{count} thread(s)" : "all cores")}, the job's backend{(tls is null ? string.Empty : ", TLS")})");
            var outcome = stopped.Task.WaitAsync(CommandContext.Cancellation).GetAwaiter().GetResult();
            (outcome.ExitCode == WorkerStopped.Finished ? Console.Out : Console.Error).WriteLine($"worker {settings.Name}: {outcome.Reason}");
            if (outcome.ExitCode == WorkerStopped.CoordinatorLost)
            {
                // Leaving a cluster whose leader is gone cannot converge; downing ourselves ends at once.
                var cluster = Akka.Cluster.Cluster.Get(app.Services.GetRequiredService<Akka.Actor.ActorSystem>());
                cluster.Down(cluster.SelfAddress);
            }

            return outcome.ExitCode;
        }
        finally
        {
            app.StopAsync(TimeSpan.FromSeconds(5)).GetAwaiter().GetResult();
        }
    }

    internal static (string Host, int Port) ParseEndpoint(string text, string option)
    {
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is 0 or > 65535)
        {
            throw new BadInputException($"{option}: expected HOST:PORT (e.g. 10.0.0.5:4053), got '{text}'");
        }

        return (text[..colon].Trim('[', ']'), port);
    }
}
