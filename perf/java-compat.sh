#!/usr/bin/env bash
# Apache RocketMQ 4.9.x's own examples and mqadmin against whatever serves 127.0.0.1:9876 (start ours
# with `pnpm start -- --enablePropertyFilter=true`, SqlFilterConsumer needs it). Needs the compiled
# Java tools of perf/JAVA.md: RMQ_JAVA_CP (classes + libraries), ROCKETMQ_HOME (its distribution/, for
# mqadmin's logback_tools.xml). Each step's output is in $OUT/<step>.out; the last line says how many
# checks failed (exit status: that count).
set -u
: "${RMQ_JAVA_CP:?set RMQ_JAVA_CP (perf/JAVA.md)}" "${ROCKETMQ_HOME:?set ROCKETMQ_HOME (perf/JAVA.md)}"
export NAMESRV_ADDR=${NAMESRV_ADDR:-127.0.0.1:9876} ROCKETMQ_HOME
OUT=${OUT:-$(mktemp -d /tmp/java-compat-XXXX)}; mkdir -p "$OUT"
J=(java -Xms256m -Xmx256m "-Drocketmq.client.logRoot=$OUT/client-logs" -cp "$RMQ_JAVA_CP")
E=org.apache.rocketmq.example
A=("${J[@]}" org.apache.rocketmq.tools.command.MQAdminStartup)
failed=0
# step NAME SECONDS CMD...: runs CMD for at most SECONDS (consumers never exit: a timeout is normal)
step() { local name=$1 t=$2; shift 2; timeout "$t" "$@" > "$OUT/$name.out" 2>&1; }
# expect NAME WHAT MIN PATTERN: PATTERN occurs at least MIN times in NAME's output (some examples print
# their results without newlines)
expect() {
  local n; n=$(grep -o -E "$4" "$OUT/$1.out" | wc -l)
  if [ "$n" -ge "$3" ]; then echo "ok   $1: $2 ($n)"; else echo "FAIL $1: $2 ($n matches of '$4', want >= $3)"; failed=$((failed + 1)); fi
}
step clusterList 30 "${A[@]}" clusterList -n "$NAMESRV_ADDR";             expect clusterList 'the broker is listed' 1 'DefaultCluster +broker-a +0 '
step updateTopic 30 "${A[@]}" updateTopic -n "$NAMESRV_ADDR" -c DefaultCluster -t CompatT -r 4 -w 4
expect updateTopic 'topic created' 1 'create topic to .* success'
step topicRoute 30 "${A[@]}" topicRoute -n "$NAMESRV_ADDR" -t CompatT;     expect topicRoute 'route has 4 write queues' 1 '"writeQueueNums":4'
step producer 90 "${J[@]}" $E.quickstart.Producer;                          expect producer '1000 sends SEND_OK' 1000 'sendStatus=SEND_OK'
step consumer 25 "${J[@]}" $E.quickstart.Consumer;                          expect consumer '1000 received' 1000 'Receive New Messages'
step topicStatus 30 "${A[@]}" topicStatus -n "$NAMESRV_ADDR" -t TopicTest;  expect topicStatus 'queues listed' 4 '^broker-a +[0-9]'
step consumerProgress 30 "${A[@]}" consumerProgress -n "$NAMESRV_ADDR" -g please_rename_unique_group_name_4
expect consumerProgress 'progress of the group' 1 '^Diff Total: 0'
step brokerStatus 30 "${A[@]}" brokerStatus -n "$NAMESRV_ADDR" -b 127.0.0.1:10911; expect brokerStatus 'runtime info' 1 '^commitLogMaxOffset'
step async 60 "${J[@]}" $E.simple.AsyncProducer;                            expect async '100 async sends' 100 'OK '
step batch 30 "${J[@]}" $E.batch.SimpleBatchProducer;                       expect batch 'batch sent' 1 'sendStatus=SEND_OK'
step order-producer 60 "${J[@]}" $E.ordermessage.Producer;                  expect order-producer '100 ordered sends' 100 'sendStatus=SEND_OK'
step order-consumer 25 "${J[@]}" $E.ordermessage.Consumer;                  expect order-consumer 'ordered deliveries' 100 'Receive New Messages'
step sched-producer 60 "${J[@]}" $E.schedule.ScheduledMessageProducer;      expect sched-producer '100 delayed sends' 100 'sendStatus=SEND_OK'
step sched-consumer 30 "${J[@]}" $E.schedule.ScheduledMessageConsumer;      expect sched-consumer '100 delayed deliveries' 100 'Receive message'
step tx-producer 30 "${J[@]}" $E.transaction.TransactionProducer;           expect tx-producer '10 half messages' 10 'sendStatus=SEND_OK'
step tag-producer 60 "${J[@]}" $E.filter.TagFilterProducer;                 expect tag-producer '60 sends' 60 'sendStatus=SEND_OK'
step tag-consumer 25 "${J[@]}" $E.filter.TagFilterConsumer;                 expect tag-consumer 'TagA || TagC: 40 of 60' 40 'Receive New Messages'
step sql-producer 60 "${J[@]}" $E.filter.SqlFilterProducer;                 expect sql-producer '10 sends' 10 'sendStatus=SEND_OK'
step sql-consumer 25 "${J[@]}" $E.filter.SqlFilterConsumer;                 expect sql-consumer 'SQL92 filter: 3 of 10' 3 'Receive New Messages'
step lite-pull 25 "${J[@]}" $E.simple.LitePullConsumerSubscribe;            expect lite-pull 'lite pull batches' 1 'MessageExt \[brokerName=broker-a'
step deleteTopic 30 "${A[@]}" deleteTopic -n "$NAMESRV_ADDR" -c DefaultCluster -t CompatT
expect deleteTopic 'topic deleted' 1 'delete topic \[CompatT\] from NameServer success'
echo "java-compat: $failed check(s) failed; outputs in $OUT"
exit "$failed"
