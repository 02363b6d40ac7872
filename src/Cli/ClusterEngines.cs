using SegaLearn.Coordinator;
using SegaLearn.Data;
using SegaLearn.Hosting;
using SegaLearn.Protocol;

namespace SegaLearn.Cli;

/// <summary>Engines whose workers are other processes: a coordinator node here, workers joining it.</summary>
internal static class ClusterEngines
{
    /// <summary>
    /// A coordinator on 127.0.0.1 (any free port) and <paramref name="processes"/> local worker processes with
    /// <paramref name="threadsEach"/> threads (default: the cores shared out between them).
    /// </summary>
    public static ActorTrainingEngine LocalProcesses(TrainingRunContext context, int processes, int? threadsEach = null)
    {
        var (data, blob) = Reference(context);
        var node = new ClusterNodeSettings { PublicHost = "127.0.0.1", BindHost = "127.0.0.1" };
        var threads = threadsEach ?? Math.Max(1, Environment.ProcessorCount / processes);
        ActorTrainingEngine? engine = null;
        engine = ActorTrainingEngines.Cluster(
            node, processes, data, blob, onStarted: address =>
            {
                var workers = new LocalWorkerProcesses(address, processes, threads, reason => engine?.Abort(reason));
                Console.WriteLine($"worker processes: {string.Join(", ", workers.ProcessIds)}");
                return workers;
            }, cancellation: CommandContext.Cancellation);
        return engine;
    }

    /// <summary>
    /// A coordinator listening on <paramref name="port"/> for <paramref name="minWorkers"/> or more workers: from this
    /// machine only when <paramref name="publicHost"/> is a loopback address, else from anywhere; with
    /// <paramref name="tls"/>, only from nodes holding that certificate.
    /// </summary>
    public static ActorTrainingEngine Coordinator(TrainingRunContext context, string publicHost, int port, int dataPort, int minWorkers, ClusterCertificate? tls)
    {
        var (data, blob) = Reference(context);
        var node = new ClusterNodeSettings { PublicHost = publicHost, BindHost = ClusterNodeSettings.BindHostFor(publicHost), Port = port };
        return ActorTrainingEngines.Cluster(node, minWorkers, data, blob, dataPort, address =>
        {
            Console.WriteLine($"coordinator listening at {address}{(tls is null ? string.Empty : $" with TLS (certificate {tls.Fingerprint[..16]}…)")}; " +
                $"start workers with: segalearn worker --join {address}{(tls is null ? string.Empty : $" --tls {Path.GetFileName(tls.Path)}")}");
            return null;
        }, CommandContext.Cancellation, tls);
    }

    /// <summary>What workers need to rebuild the training set (the same built-in name or file path), and its canonical bytes.</summary>
    private static (DataReference Data, byte[] Blob) Reference(TrainingRunContext context)
    {
        var blob = context.Data.TrainingBlob();
        var spec = File.Exists(context.DataSpec) || Directory.Exists(context.DataSpec) ? Path.GetFullPath(context.DataSpec) : context.DataSpec;
        var reference = new DataReference(
            spec, context.LabelColumn, context.Seed, context.TestFraction, context.Data.Preprocessing.Standardizes, TrainingSetBlob.Sha256(blob), blob.LongLength,
            context.ValidationFraction);
        return (reference, blob);
    }
}
