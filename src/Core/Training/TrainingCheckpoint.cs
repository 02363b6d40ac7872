using System.Globalization;
using System.Text.Json;
using SegaLearn.Serialization;

namespace SegaLearn.Training;

/// <summary>
/// The whole trainer state at a step boundary: position (next epoch and step), parameter version, parameters,
/// optimizer state, the scheduler's <see cref="Schedulers.ILearningRateScheduler.CheckpointState"/>, early-stopping state with the best parameters, the running loss of the
/// current epoch and the metrics so far. Stored as a safetensors file (tensors + JSON metadata), written atomically.
/// </summary>
public sealed class TrainingCheckpoint
{
    private const string Format = "segalearn-checkpoint/2";

    // Version 1 kept the plateau scheduler's state under its own keys; its files are refused rather than resumed without it.
    private const string FormatV1 = "segalearn-checkpoint/1";

    private const string SchedulerPrefix = "scheduler.";

    private static readonly JsonSerializerOptions Json = new() { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    public required NetworkArchitecture Architecture { get; init; }

    public required ulong Seed { get; init; }

    public required int NextEpoch { get; init; }

    public required int NextStep { get; init; }

    public required long ParameterVersion { get; init; }

    public required float[] Parameters { get; init; }

    public required string OptimizerName { get; init; }

    public required long OptimizerSteps { get; init; }

    public required double LearningRate { get; init; }

    public required IReadOnlyList<KeyValuePair<string, float[]>> OptimizerState { get; init; }

    /// <summary>The scheduler's state by name (empty without a scheduler or for one whose only state is the learning rate).</summary>
    public IReadOnlyList<KeyValuePair<string, double>> SchedulerState { get; init; } = [];

    public required double BestLoss { get; init; }

    public required int BestEpoch { get; init; }

    public required int SinceBest { get; init; }

    public float[]? BestParameters { get; init; }

    public required double EpochLossSum { get; init; }

    public required IReadOnlyList<EpochMetrics> History { get; init; }

    /// <summary>The wire format the run computed in; a checkpoint without one (written before it existed) was float32.</summary>
    public WireFormat Wire { get; init; }

    public void Save(string path)
    {
        var tensors = new List<SafeTensor> { new("parameters", [Parameters.Length], Parameters) };
        foreach (var (name, buffer) in OptimizerState)
        {
            tensors.Add(new SafeTensor("optimizer." + name, [buffer.Length], buffer));
        }

        if (BestParameters is not null)
        {
            tensors.Add(new SafeTensor("best_parameters", [BestParameters.Length], BestParameters));
        }

        var metadata = new List<KeyValuePair<string, string>>
        {
            new("format", Format),
            new("layers", Architecture.LayersText),
            new("activations", Architecture.ActivationsText),
            new("loss", Architecture.LossText),
            new("seed", Seed.ToString(CultureInfo.InvariantCulture)),
            new("next_epoch", Int(NextEpoch)),
            new("next_step", Int(NextStep)),
            new("parameter_version", ParameterVersion.ToString(CultureInfo.InvariantCulture)),
            new("optimizer", OptimizerName),
            new("optimizer_steps", OptimizerSteps.ToString(CultureInfo.InvariantCulture)),
            new("learning_rate", Real(LearningRate)),
            new("best_loss", Real(BestLoss)),
            new("best_epoch", Int(BestEpoch)),
            new("since_best", Int(SinceBest)),
            new("epoch_loss_sum", Real(EpochLossSum)),
            new("history", JsonSerializer.Serialize(History.Select(ToJson).ToArray(), Json)),
            new("wire", WireFormatNames.Name(Wire)),
        };
        metadata.AddRange(SchedulerState.Select(p => new KeyValuePair<string, string>(SchedulerPrefix + p.Key, Real(p.Value))));
        SafeTensorsFile.Write(path, tensors, metadata);
    }

    public static TrainingCheckpoint Load(string path)
    {
        var content = SafeTensorsFile.Read(path);
        var m = content.Metadata;
        if (m.GetValueOrDefault("format") == FormatV1)
        {
            throw new BadInputException($"{path}: a checkpoint of an earlier version ({FormatV1}), which this version cannot continue; start the run again");
        }

        if (m.GetValueOrDefault("format") != Format)
        {
            throw new BadInputException($"{path}: not a SegaLearn checkpoint (no {Format} format tag)");
        }

        try
        {
            var activations = m["activations"].Split(',').Select(Activation.Parse).ToArray();
            var loss = NetworkArchitecture.ParseLoss(m["loss"], out var huberDelta);
            var architecture = new NetworkArchitecture(m["layers"].Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray(), activations, loss, huberDelta);
            var parameters = content.Find("parameters")?.Data ?? throw new BadInputException($"{path}: no 'parameters' tensor");
            var state = content.Tensors.Where(t => t.Name.StartsWith("optimizer.", StringComparison.Ordinal))
                .Select(t => new KeyValuePair<string, float[]>(t.Name["optimizer.".Length..], t.Data)).ToArray();
            var history = JsonSerializer.Deserialize<JsonElement[]>(m["history"], Json)!.Select(FromJson).ToArray();
            return new TrainingCheckpoint
            {
                Architecture = architecture,
                Seed = ulong.Parse(m["seed"], CultureInfo.InvariantCulture),
                NextEpoch = int.Parse(m["next_epoch"], CultureInfo.InvariantCulture),
                NextStep = int.Parse(m["next_step"], CultureInfo.InvariantCulture),
                ParameterVersion = long.Parse(m["parameter_version"], CultureInfo.InvariantCulture),
                Parameters = parameters,
                OptimizerName = m["optimizer"],
                OptimizerSteps = long.Parse(m["optimizer_steps"], CultureInfo.InvariantCulture),
                LearningRate = double.Parse(m["learning_rate"], CultureInfo.InvariantCulture),
                OptimizerState = state,
                SchedulerState = m.Where(e => e.Key.StartsWith(SchedulerPrefix, StringComparison.Ordinal))
                    .Select(e => new KeyValuePair<string, double>(e.Key[SchedulerPrefix.Length..], double.Parse(e.Value, CultureInfo.InvariantCulture)))
                    .ToArray(),
                BestLoss = double.Parse(m["best_loss"], CultureInfo.InvariantCulture),
                BestEpoch = int.Parse(m["best_epoch"], CultureInfo.InvariantCulture),
                SinceBest = int.Parse(m["since_best"], CultureInfo.InvariantCulture),
                BestParameters = content.Find("best_parameters")?.Data,
                EpochLossSum = double.Parse(m["epoch_loss_sum"], CultureInfo.InvariantCulture),
                History = history,
                Wire = WireFormatNames.TryParse(m.GetValueOrDefault("wire", WireFormatNames.Name(WireFormat.Float32)), out var wire)
                    ? wire
                    : throw new FormatException($"unknown wire format '{m["wire"]}'"),
            };
        }
        catch (Exception e) when (e is KeyNotFoundException or FormatException or OverflowException or JsonException)
        {
            throw new BadInputException($"{path}: damaged checkpoint metadata ({e.Message})", e);
        }
    }

    private static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Real(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static Dictionary<string, double?> ToJson(EpochMetrics e) => new()
    {
        ["epoch"] = e.Epoch,
        ["train_loss"] = e.TrainLoss,
        ["train_accuracy"] = e.TrainAccuracy,
        ["val_loss"] = e.ValidationLoss,
        ["val_accuracy"] = e.ValidationAccuracy,
        ["learning_rate"] = e.LearningRate,
        ["seconds"] = e.Seconds,
        ["samples_per_s"] = e.SamplesPerSecond,
        ["eval_seconds"] = e.EvaluationSeconds,
    };

    private static EpochMetrics FromJson(JsonElement e)
    {
        static double? Get(JsonElement e, string name) =>
            e.GetProperty(name) switch
            {
                { ValueKind: JsonValueKind.Null } => null,
                { ValueKind: JsonValueKind.String } s => double.Parse(s.GetString()!, CultureInfo.InvariantCulture),
                var n => n.GetDouble(),
            };
        return new EpochMetrics(
            (int)Get(e, "epoch")!.Value,
            Get(e, "train_loss")!.Value,
            Get(e, "train_accuracy"),
            Get(e, "val_loss"),
            Get(e, "val_accuracy"),
            Get(e, "learning_rate")!.Value,
            Get(e, "seconds")!.Value,
            Get(e, "samples_per_s")!.Value,
            e.TryGetProperty("eval_seconds", out _) ? Get(e, "eval_seconds")!.Value : 0);
    }
}
