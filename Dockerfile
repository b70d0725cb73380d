# syntax=docker/dockerfile:1
# apex-pulse image: docker build -t apex-pulse:0.1.0 .
# Stage 1 builds the jar with the README's command; stage 2 runs it on a JRE as a non-root user.

FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
# everything the build reads (pom.xml's resources: src/main/resources, conf/, apex/js); tests are skipped
COPY pom.xml ./
COPY src ./src
COPY conf ./conf
COPY apex/js ./apex/js
RUN --mount=type=cache,target=/root/.m2 mvn -q -B package -DskipTests

FROM eclipse-temurin:17-jre
RUN groupadd --system --gid 10001 pulse \
 && useradd --system --uid 10001 --gid pulse --home-dir /app --no-create-home --shell /usr/sbin/nologin pulse \
 && mkdir -p /app/data \
 && chown -R pulse:pulse /app
WORKDIR /app
COPY --from=build /src/target/apex-pulse.jar /app/apex-pulse.jar
# container-aware heap (a share of the memory limit, not of the host), a clean exit on OOM so the
# orchestrator restarts the container; Kubernetes sets its own JAVA_TOOL_OPTIONS (k8s/base)
ENV JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=60 -XX:InitialRAMPercentage=60 -XX:+ExitOnOutOfMemoryError"
USER 10001:10001
# 8080 HTTP + WebSocket, 5701 Hazelcast, 5801 clustered event bus (PULSE_CLUSTER_EVENT_BUS_PORT)
EXPOSE 8080 5701 5801
# exec form: java is PID 1 and receives SIGTERM itself, which drains the node (1012) and exits 0
ENTRYPOINT ["java", "-jar", "/app/apex-pulse.jar"]
