using System.CommandLine;
using System.Globalization;
using SegaLearn.Coordinator;
using SegaLearn.Data;
using SegaLearn.Optimizers;
using SegaLearn.Schedulers;
using SegaLearn.Serialization;
using SegaLearn.Training;

namespace SegaLearn.Cli;

/// <summary>
/// One training run from the command line, whatever computes the gradients: loads and splits the data, builds the
/// model, trains through the engine the command chose, prints the test accuracy (or, for a regression loss, the test
/// MSE, MAE and R²) and writes the outputs.
/// </summary>
internal static class TrainingRun
{
    /// <summary>Runs training; <paramref name="createEngine"/> gets the prepared data and returns the engine (null: single process).</summary>
    public static int Execute(ParseResult parse, Func<TrainingRunContext, ITrainingEngine?> createEngine)
    {
        var seed = parse.GetValue(TrainOptions.Seed);
        var dropout = OptionParsing.Fraction(parse.GetValue(TrainOptions.Dropout), "--dropout", allowZero: true);
        var regLambda = OptionParsing.NonNegative(parse.GetValue(TrainOptions.RegLambda), "--reg-lambda");
        var epochs = OptionParsing.Positive(parse.GetValue(TrainOptions.Epochs), "--epochs");
        var batchSize = OptionParsing.Positive(parse.GetValue(TrainOptions.BatchSize), "--batch-size");
        var microbatch = OptionParsing.Positive(parse.GetValue(TrainOptions.Microbatch), "--microbatch");
        var wire = OptionParsing.ParseWire(parse.GetValue(TrainOptions.Wire)!, "--wire");
        var patience = OptionParsing.NonNegative(parse.GetValue(TrainOptions.Patience), "--patience");
        var testFraction = OptionParsing.Fraction(parse.GetValue(TrainOptions.TestFraction), "--test-fraction", allowZero: false);
        var validationFraction = OptionParsing.Fraction(parse.GetValue(TrainOptions.ValidationFraction), "--validation-fraction", allowZero: true);
        var outPath = parse.GetValue(TrainOptions.Out) is { } o ? OptionParsing.OutputPath(o, "--out") : null;
        var metricsPath = parse.GetValue(TrainOptions.Metrics) is { } m ? OptionParsing.OutputPath(m, "--metrics") : null;
        var plotPath = parse.GetValue(TrainOptions.Plot) is { } p ? OptionParsing.OutputPath(p, "--plot") : null;
        var checkpoints = CheckpointsFrom(parse);
        var threads = parse.GetValue(TrainOptions.Threads) is { } t ? OptionParsing.Positive(t, "--threads") : (int?)null;
        if (parse.GetValue(TrainOptions.BackendName) is { } backendName)
        {
            Backends.Use(backendName, threads);
        }
        else if (threads is not null)
        {
            Backends.Use(Backends.Current.Name, threads);
        }

        var optimizer = CreateOptimizer(parse);
        var (lossKind, huberDelta) = LossFrom(parse);
        var dataSpec = parse.GetValue(TrainOptions.Data)!;
        var labelColumn = parse.GetValue(TrainOptions.LabelColumn);
        var targets = lossKind is { } kind && NetworkArchitecture.IsRegressionLoss(kind) ? TargetKind.Values : TargetKind.Classes;
        PreparedData split;
        try
        {
            split = PreparedData.Load(dataSpec, labelColumn, seed, testFraction, validationFraction, targets);
        }
        catch (BadInputException e) when (targets == TargetKind.Values && !dataSpec.EndsWith(".csv", StringComparison.OrdinalIgnoreCase))
        {
            throw new BadInputException($"--loss {parse.GetValue(TrainOptions.Loss)!.Trim()}: {e.Message}", e);
        }

        var preprocessing = split.Preprocessing;
        var architecture = BuildArchitecture(parse, split.Train, lossKind, huberDelta);
        var scheduler = CreateScheduler(parse, optimizer);

        var network = new NeuralNetwork(architecture, InitialParameters(parse, architecture), dropout, regLambda, seed, Backends.Current);
        var validationRows = split.Validation is { } v ? $", {v.Rows} validation" : string.Empty;
        var predicting = split.Train.IsRegression ? "a value to regress" : $"{split.Train.ClassCount} classes";
        Console.WriteLine(
            $"data: {split.Train.Name}, {split.Train.Rows} training{validationRows} and {split.Test.Rows} test rows, {split.Train.Features.Columns} features, {predicting}");
        Console.WriteLine($"model: {architecture}; {Backends.Describe()}; wire {WireFormatNames.Name(wire)}");

        using var engine = createEngine(new TrainingRunContext(split, dataSpec, labelColumn, seed, testFraction, validationFraction));
        if (engine is not null)
        {
            Console.WriteLine($"engine: {engine.Describe()}");
        }

        using var metrics = metricsPath is null ? null : new MetricsWriter(metricsPath);
        var steps = new StepSummary();
        if (engine is ActorTrainingEngine distributed)
        {
            var perStep = parse.GetValue(TrainOptions.MetricsSteps) ? metrics : null;
            distributed.StepMeasured += m =>
            {
                steps.Add(m);
                perStep?.WriteStep(m);
            };
        }

        var reporter = new TrainingReporter(Console.Out);
        var history = reporter.Run(
            epochs,
            handler => network.Train(
                split.Train.Features,
                split.Train.Targets,
                optimizer,
                epochs,
                batchSize,
                xVal: split.Validation?.Features,
                yVal: split.Validation?.Targets,
                earlyStoppingThreshold: patience,
                lrScheduler: scheduler,
                progress: e =>
                {
                    handler(e);
                    metrics?.Write(e);
                },
                microbatchSize: microbatch,
                wire: wire,
                engine: engine,
                checkpoints: checkpoints,
                cancellationToken: CommandContext.Cancellation));
        if (engine is ActorTrainingEngine finishing)
        {
            finishing.Dispose();
            Console.WriteLine(steps.Describe(finishing.Totals));
        }

        metrics?.Complete();

        if (plotPath is not null)
        {
            TrainingPlot.Save(plotPath, history.Epochs);
            Console.WriteLine($"curves drawn to {plotPath}");
        }

        var last = history.Epochs[^1];
        Console.WriteLine(FormattableString.Invariant($"trained {history.Epochs.Count} epoch(s); best epoch {history.BestEpoch + 1}, final train loss {last.TrainLoss:F4}"));
        if (architecture.IsRegression)
        {
            var (report, _) = network.EvaluateRegression(split.Test.Features, split.Test.Targets.Values);
            Console.WriteLine(FormattableString.Invariant($"Test mse: {report.MeanSquaredError:F4}, mae: {report.MeanAbsoluteError:F4}, r2: {report.R2:F4}"));
        }
        else
        {
            var (accuracy, _) = network.Evaluate(split.Test.Features, split.Test.Labels);
            Console.WriteLine(FormattableString.Invariant($"Test accuracy: {accuracy:F4}"));
        }

        if (outPath is not null)
        {
            var metadata = new Dictionary<string, string>
            {
                ["data"] = dataSpec,
                ["label_column"] = labelColumn ?? string.Empty,
                ["seed"] = seed.ToString(CultureInfo.InvariantCulture),
                ["test_fraction"] = testFraction.ToString("R", CultureInfo.InvariantCulture),
            };
            if (!architecture.IsRegression)
            {
                metadata["classes"] = string.Join(',', split.Train.ClassNames ?? Enumerable.Range(0, split.Train.ClassCount).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray());
            }

            preprocessing.AddTo(metadata);
            ModelFile.Save(outPath, architecture, network.Parameters, metadata);
            Console.WriteLine($"model written to {outPath}");
        }

        return ExitCodes.Success;
    }

    private static CheckpointOptions? CheckpointsFrom(ParseResult parse)
    {
        var directory = parse.GetValue(TrainOptions.CheckpointDir);
        var resume = parse.GetValue(TrainOptions.Resume);
        var every = OptionParsing.Positive(parse.GetValue(TrainOptions.CheckpointEvery), "--checkpoint-every");
        if (directory is not null && resume is not null && Path.GetFullPath(directory) != Path.GetFullPath(resume))
        {
            throw new BadInputException($"--resume {resume} and --checkpoint-dir {directory} name different directories; give one of them");
        }

        if (resume is not null)
        {
            if (!Directory.Exists(resume))
            {
                throw new BadInputException($"--resume: directory '{resume}' does not exist");
            }

            return new CheckpointOptions(resume, every, Resume: true);
        }

        if (directory is null)
        {
            return null;
        }

        Directory.CreateDirectory(directory);
        return new CheckpointOptions(directory, every);
    }

    /// <summary>The loss of <c>--loss</c> (null: the default for the output size) and the checked <c>--huber-delta</c>.</summary>
    private static (LossKind? Loss, double HuberDelta) LossFrom(ParseResult parse)
    {
        var lossText = parse.GetValue(TrainOptions.Loss);
        LossKind? loss;
        try
        {
            loss = lossText is null ? null : NetworkArchitecture.ParseLoss(lossText);
        }
        catch (BadInputException e)
        {
            throw new BadInputException($"--loss: {e.Message}", e);
        }

        if (parse.GetValue(TrainOptions.HuberDelta) is not { } delta)
        {
            return (loss, NetworkArchitecture.DefaultHuberDelta);
        }

        if (loss != LossKind.Huber)
        {
            throw new BadInputException($"--huber-delta applies to --loss huber only, the loss is {lossText ?? "the default"}");
        }

        return (loss, OptionParsing.Positive(delta, "--huber-delta"));
    }

    private static NetworkArchitecture BuildArchitecture(ParseResult parse, LabeledData train, LossKind? lossKind, double huberDelta)
    {
        var inputs = train.Features.Columns;
        // Text labels that make many classes are most often real numbers meant for a regression loss.
        if (lossKind == LossKind.BinaryCrossEntropy && train.ClassCount != 2 && train.ClassNames is not null)
        {
            throw new BadInputException(
                $"--loss bce needs 2 classes, the label texts of {train.Name} make {train.ClassCount} (for numeric targets use --loss mse, mae or huber)");
        }

        var binary = lossKind == LossKind.BinaryCrossEntropy || (lossKind is null && train.ClassCount == 2);
        var outputs = train.IsRegression ? 1 : binary ? 1 : train.ClassCount;
        var sizes = parse.GetValue(TrainOptions.Layers) is { } layersText ? OptionParsing.ParseSizes(layersText, "--layers") : [inputs, 128, outputs];
        if (sizes[0] != inputs)
        {
            throw new BadInputException($"--layers: the input size is {sizes[0]} but the data has {inputs} features");
        }

        if (train.IsRegression && sizes[^1] != 1)
        {
            throw new BadInputException($"--layers: the output size is {sizes[^1]} but a regression on one label column predicts 1 value");
        }

        var expectedOutputs = train.IsRegression ? 1 : sizes[^1] == 1 && train.ClassCount == 2 ? 1 : train.ClassCount;
        if (sizes[^1] != expectedOutputs)
        {
            throw new BadInputException(
                $"--layers: the output size is {sizes[^1]} but the data has {train.ClassCount} classes (use {train.ClassCount}{(train.ClassCount == 2 ? " or 1" : string.Empty)})");
        }

        Activation[]? activations = null;
        if (parse.GetValue(TrainOptions.Activations) is { } activationText)
        {
            activations = OptionParsing.ParseActivations(activationText, "--activations");
            if (activations.Length != sizes.Length - 1)
            {
                throw new BadInputException(
                    $"--activations: {activations.Length} given, --layers {string.Join(',', sizes)} has {sizes.Length - 1} dense layer(s)");
            }
        }

        try
        {
            return new NetworkArchitecture(sizes, activations, lossKind, huberDelta);
        }
        catch (BadInputException e)
        {
            throw new BadInputException($"--layers/--loss: {e.Message}", e);
        }
    }

    private static float[]? InitialParameters(ParseResult parse, NetworkArchitecture architecture)
    {
        if (parse.GetValue(TrainOptions.Init) is not { } path)
        {
            return null;
        }

        var model = ModelFile.Load(path);
        if (!model.Architecture.Equals(architecture))
        {
            throw new BadInputException($"--init: '{path}' is a different model ({model.Architecture}), this run builds {architecture}");
        }

        return model.Parameters;
    }

    private static Optimizer CreateOptimizer(ParseResult parse)
    {
        var name = parse.GetValue(TrainOptions.OptimizerName)!.Trim().ToLowerInvariant();
        var lr = parse.GetValue(TrainOptions.LearningRate) is { } l ? OptionParsing.Positive(l, "--lr") : (double?)null;
        var decay = parse.GetValue(TrainOptions.WeightDecay) is { } d ? OptionParsing.NonNegative(d, "--weight-decay") : (double?)null;
        var momentum = OptionParsing.Fraction(parse.GetValue(TrainOptions.Momentum), "--momentum", allowZero: true);
        return name switch
        {
            "adam" => new AdamOptimizer(learningRate: lr ?? 0.001, regLambda: decay ?? 0.01),
            "sgd" => new SgdOptimizer(learningRate: lr ?? 0.001, momentum: momentum, regLambda: decay ?? 0.0),
            "adadelta" => new AdadeltaOptimizer(learningRate: lr ?? 1.0, regLambda: decay ?? 0.0),
            _ => throw new BadInputException($"--optimizer: unknown optimizer '{name}' (expected adam, sgd or adadelta)"),
        };
    }

    private static ILearningRateScheduler? CreateScheduler(ParseResult parse, Optimizer optimizer)
    {
        var name = parse.GetValue(TrainOptions.Scheduler)!.Trim().ToLowerInvariant();
        if (name == "none")
        {
            return null;
        }

        var decay = OptionParsing.Positive(parse.GetValue(TrainOptions.LrDecay), "--lr-decay");
        var period = OptionParsing.Positive(parse.GetValue(TrainOptions.LrDecayEpoch), "--lr-decay-epoch");
        return name switch
        {
            "step" => new StepLRScheduler(optimizer, lrDecay: decay, lrDecayEpoch: period),
            "exp" => new ExponentialLRScheduler(optimizer, lrDecay: decay, lrDecayEpoch: period),
            "plateau" => new PlateauLRScheduler(new StepLRScheduler(optimizer, lrDecay: decay, lrDecayEpoch: period)),
            _ => throw new BadInputException($"--scheduler: unknown scheduler '{name}' (expected none, step, exp or plateau)"),
        };
    }
}
