using System.Text.Json;
using SegaLearn.Coordinator;
using SegaLearn.Training;

namespace SegaLearn.Cli;

/// <summary>
/// <c>--metrics FILE.jsonl</c>: one JSON object per epoch, and with <c>--metrics-steps</c> one per distributed step
/// (<c>"step"</c> objects: where its time went, bytes moved, blocks reassigned). Lines go to a temporary file beside the target, which
/// replaces the target only when training completes, so an interrupted run leaves no half-written file.
/// </summary>
internal sealed class MetricsWriter : IDisposable
{
    private readonly string _path;
    private readonly string _temporary;
    private readonly FileStream _stream;
    private bool _completed;

    public MetricsWriter(string path)
    {
        _path = path;
        _temporary = Path.Combine(Path.GetDirectoryName(path)!, $".{Path.GetFileName(path)}.{Environment.ProcessId}.tmp");
        _stream = new FileStream(_temporary, FileMode.Create, FileAccess.Write, FileShare.Read);
    }

    public void Write(TrainingEvent trainingEvent)
    {
        if (trainingEvent is not EpochCompleted { Metrics: var m })
        {
            return;
        }

        using (var writer = new Utf8JsonWriter(_stream))
        {
            writer.WriteStartObject();
            writer.WriteNumber("epoch", m.Epoch + 1);
            writer.WriteNumber("train_loss", m.TrainLoss);
            WriteOptional(writer, "train_accuracy", m.TrainAccuracy);
            WriteOptional(writer, "val_loss", m.ValidationLoss);
            WriteOptional(writer, "val_accuracy", m.ValidationAccuracy);
            writer.WriteNumber("learning_rate", m.LearningRate);
            writer.WriteNumber("seconds", m.Seconds);
            writer.WriteNumber("samples_per_s", m.SamplesPerSecond);
            writer.WriteNumber("eval_seconds", m.EvaluationSeconds);
            writer.WriteEndObject();
        }

        _stream.WriteByte((byte)'\n');
        _stream.Flush();
    }

    public void WriteStep(StepMetrics m)
    {
        ArgumentNullException.ThrowIfNull(m);
        using (var writer = new Utf8JsonWriter(_stream))
        {
            writer.WriteStartObject();
            writer.WriteString("kind", "step");
            writer.WriteNumber("epoch", m.Epoch + 1);
            writer.WriteNumber("step", m.Step + 1);
            writer.WriteNumber("blocks", m.Blocks);
            writer.WriteNumber("workers", m.Workers);
            writer.WriteNumber("compute_ms", m.ComputeMilliseconds);
            writer.WriteNumber("transfer_ms", m.TransferMilliseconds);
            writer.WriteNumber("reduce_ms", m.ReduceMilliseconds);
            writer.WriteNumber("optimizer_ms", m.OptimizerMilliseconds);
            writer.WriteNumber("step_ms", m.WallMilliseconds);
            writer.WriteNumber("bytes_out", m.BytesOut);
            writer.WriteNumber("bytes_in", m.BytesIn);
            writer.WriteNumber("reassigned", m.Reassigned);
            writer.WriteNumber("rejected", m.Rejected);
            writer.WriteNumber("duplicates", m.Duplicates);
            writer.WriteBoolean("peer_reduced", m.PeerReduced);
            writer.WriteNumber("completed_unix_ms", m.CompletedAt.ToUnixTimeMilliseconds());
            writer.WriteEndObject();
        }

        _stream.WriteByte((byte)'\n');
    }

    public void Complete()
    {
        _stream.Flush(flushToDisk: true);
        _stream.Dispose();
        File.Move(_temporary, _path, overwrite: true);
        _completed = true;
    }

    public void Dispose()
    {
        if (_completed)
        {
            return;
        }

        _stream.Dispose();
        File.Delete(_temporary);
    }

    private static void WriteOptional(Utf8JsonWriter writer, string name, double? value)
    {
        if (value is { } v)
        {
            writer.WriteNumber(name, v);
        }
        else
        {
            writer.WriteNull(name);
        }
    }
}
